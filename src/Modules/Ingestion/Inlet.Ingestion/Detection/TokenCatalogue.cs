using Inlet.Ingestion.TokenContainers;
using Marten;
using Marten.Linq.LastModified;

namespace Inlet.Ingestion.Detection;

/// <summary>
/// This node's in-memory copy of the live <see cref="TokenContainer"/> documents, kept current incrementally
/// (docs/adr/0022-detection-at-scale.md). A refresh reads only the documents PostgreSQL changed since the
/// newest change already seen (<c>mt_last_modified</c>, the database's clock, so node clocks do not matter),
/// minus an overlap that covers transactions which committed after a later one was read. Reading the shared
/// table, not the Tokens messages, is what keeps every node current: a message is handled on one node only.
/// A full read every <see cref="FullRefresh"/> is the safety net behind the overlap.
/// </summary>
public sealed class TokenCatalogue(IDocumentStore store, TimeSpan? overlap = null)
{
    private readonly TimeSpan _overlap = overlap ?? Overlap;

    /// <summary>How far back each incremental read reaches past the high-water mark; far longer than any
    /// transaction that writes a TokenContainer (one small document).</summary>
    public static readonly TimeSpan Overlap = TimeSpan.FromMinutes(1);

    public static readonly TimeSpan FullRefresh = TimeSpan.FromMinutes(15);

    private readonly Dictionary<Guid, TokenContainer> _tokens = new();
    private DateTimeOffset? _highWater;
    private DateTimeOffset _fullAt = DateTimeOffset.MinValue;

    /// <summary>Documents read by the last refresh: what it cost (tests and logs).</summary>
    public int LastRead { get; private set; }

    /// <summary>A snapshot taken after the latest refresh, safe to read from any thread.</summary>
    public IReadOnlyCollection<TokenContainer> Tokens { get; private set; } = [];

    /// <summary>Applies what changed; returns the ids no longer watched (deleted), so the caller can drop their state.</summary>
    public async Task<IReadOnlyList<Guid>> Refresh(DateTimeOffset now, CancellationToken ct)
    {
        await using var query = store.QuerySession();
        IReadOnlyList<TokenContainer> changed;
        var full = _highWater is null || now - _fullAt >= FullRefresh;
        if (full)
            changed = await query.Query<TokenContainer>().ToListAsync(ct);
        else
        {
            var since = _highWater!.Value - _overlap;
            changed = await query.Query<TokenContainer>().Where(t => t.ModifiedSince(since)).ToListAsync(ct);
        }
        LastRead = changed.Count;
        if (full)
            _fullAt = now;
        return Apply(changed, full);
    }

    private List<Guid> Apply(IReadOnlyList<TokenContainer> changed, bool full)
    {
        var dropped = new List<Guid>();
        if (full)
        {
            var present = changed.Where(t => t.DeletedAt is null).Select(t => t.Id).ToHashSet();
            foreach (var id in _tokens.Keys.Where(id => !present.Contains(id)).ToList())
            {
                _tokens.Remove(id);
                dropped.Add(id);
            }
        }
        foreach (var token in changed)
        {
            if (token.LastModified > (_highWater ?? DateTimeOffset.MinValue))
                _highWater = token.LastModified;
            if (token.DeletedAt is not null)
            {
                if (_tokens.Remove(token.Id))
                    dropped.Add(token.Id);
            }
            else
                _tokens[token.Id] = token;
        }
        // An empty table still needs a mark, or every refresh would be a full one.
        _highWater ??= DateTimeOffset.MinValue + _overlap;
        Tokens = _tokens.Values.ToList();
        return dropped;
    }
}
