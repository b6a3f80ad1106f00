using Inlet.Host.WebPages;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;

namespace Inlet.Tests.Web;

/// <summary>How the pages are told to sign in: the embedded default's form, or the platform's OIDC provider.</summary>
public sealed class WebSignInConfigTests
{
    private sealed class Environment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;
        public string ApplicationName { get; set; } = "Inlet.Host";
        public string ContentRootPath { get; set; } = "/";
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }

    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void Development_without_an_authority_offers_the_development_sign_in()
    {
        var config = WebPagesSetup.SignInConfig(Config(), new Environment("Development"));
        Assert.Equal("development", config.SignIn);
        Assert.Null(config.Authority);
    }

    [Fact]
    public void A_configured_authority_means_OIDC_with_the_public_client_and_a_default_scope()
    {
        var config = WebPagesSetup.SignInConfig(
            Config(("Auth:Authority", "https://login.example.org/realms/platform/"), ("Auth:ClientId", "inlet-web"), ("Auth:Scope", "")),
            new Environment("Production"));
        Assert.Equal(new WebSignInConfig("oidc", "https://login.example.org/realms/platform", "inlet-web", "openid profile"), config);
    }

    [Fact]
    public void The_pages_may_call_only_their_own_origin_and_the_identity_provider()
    {
        var csp = WebPagesSetup.ContentSecurityPolicy("https://login.example.org/realms/platform");
        Assert.Contains("connect-src 'self' https://login.example.org;", csp);
        Assert.Contains("script-src 'self';", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
    }
}
