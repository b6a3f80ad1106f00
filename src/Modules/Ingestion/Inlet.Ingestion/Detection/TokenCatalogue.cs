using Inlet.Ingestion.TokenContainers;
using Marten;
using Marten.Linq.LastModified;

namespace Inlet.Ingestion.Detection;

/// <summary>
/// This node's in-memory copy of the live <see cref="TokenContainer"/> documents, kept current incrementally
/// (docs/adr/0022-detection-at-scale.md). A refresh reads only the documents PostgreSQL changed
/// (<c>mt_last_modified</c>, a transaction's start on the database's clock, so node clocks do not matter) since the
/// previous refresh began, minus an overlap that covers transactions which started before it and committed after.
/// Reading the shared table, not the Tokens messages, is what keeps every node current: a message is handled on one
/// node only. A full read every <see cref="FullRefresh"/> is the safety net behind the overlap.
/// </summary>
/// <remarks>
/// The lower bound is the previous read's time on the database's clock, not the newest change seen: with no writes
/// after a burst, the newest change stops moving and every refresh re-read the whole burst. Session 11 measured that
/// in the bench, where one statement backdates 10,000 tokens: all 10,000 were read every 2 s for as long as the node
/// ran.
/// </remarks>
public sealed class TokenCatalogue(IDocumentStore store, TimeSpan? overlap = null)
{
    private readonly TimeSpan _overlap = overlap ?? Overlap;

    /// <summary>
    /// How far back each incremental read reaches before the previous one began: far longer than any transaction that
    /// writes a TokenContainer (one small document, committed in milliseconds), and short, because every refresh in
    /// that span reads again whatever changed in it.
    /// </summary>
    public static readonly TimeSpan Overlap = TimeSpan.FromSeconds(15);

    public static readonly TimeSpan FullRefresh = TimeSpan.FromMinutes(15);

    private readonly Dictionary<Guid, TokenContainer> _tokens = new();
    /// <summary>Every change made before this (database clock) has been read.</summary>
    private DateTimeOffset? _seenUpTo;
    private DateTimeOffset _fullAt = DateTimeOffset.MinValue;

    /// <summary>Documents read by the last refresh: what it cost (tests and logs).</summary>
    public int LastRead => LastReadIds.Count;

    /// <summary>Which documents the last refresh read (tests: a change is read, and then no longer).</summary>
    public IReadOnlySet<Guid> LastReadIds { get; private set; } = new HashSet<Guid>();

    /// <summary>A snapshot taken after the latest refresh that changed anything, safe to read from any thread.</summary>
    public IReadOnlyCollection<TokenContainer> Tokens { get; private set; } = [];

    /// <summary>
    /// Counts the refreshes that changed <see cref="Tokens"/>: a caller rebuilds what it derives from them only when this
    /// moved. Most refreshes of an idle node read nothing, and copying 10,000 tokens every 2 s was part of its fixed cost.
    /// </summary>
    public int Version { get; private set; }

    /// <summary>Applies what changed; returns the ids no longer watched (deleted), so the caller can drop their state.</summary>
    public async Task<IReadOnlyList<Guid>> Refresh(DateTimeOffset now, CancellationToken ct)
    {
        await using var query = store.QuerySession();
        // Taken before the read: a transaction that started more than the overlap before this has committed by now,
        // so what it wrote is in this read, and the next one need not reach back further.
        var readAt = (await query.QueryAsync<DateTimeOffset>("select now()", ct)).Single();
        IReadOnlyList<TokenContainer> changed;
        var full = _seenUpTo is null || now - _fullAt >= FullRefresh;
        if (full)
            changed = await query.Query<TokenContainer>().ToListAsync(ct);
        else
        {
            var since = _seenUpTo!.Value;
            changed = await query.Query<TokenContainer>().Where(t => t.ModifiedSince(since)).ToListAsync(ct);
        }
        LastReadIds = changed.Select(t => t.Id).ToHashSet();
        if (full)
            _fullAt = now;
        _seenUpTo = readAt - _overlap;
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
            if (token.DeletedAt is not null)
            {
                if (_tokens.Remove(token.Id))
                    dropped.Add(token.Id);
            }
            else
                _tokens[token.Id] = token;
        }
        if (full || changed.Count > 0 || dropped.Count > 0)
        {
            Tokens = _tokens.Values.ToList();
            Version++;
        }
        return dropped;
    }
}
