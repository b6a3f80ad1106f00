global using System.Net;
global using System.Net.Http.Json;
global using System.Text.Json;
global using Inlet.Tests.Infrastructure;
global using Xunit;

[assembly: CollectionBehavior(MaxParallelThreads = 4)]
