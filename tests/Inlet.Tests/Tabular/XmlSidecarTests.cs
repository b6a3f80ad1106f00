using System.Text;
using Inlet.Tabular.Loading;
using Inlet.Tabular.Metadata;

namespace Inlet.Tests.Tabular;

public sealed class XmlTableDefinitionParserTests
{
    [Fact]
    public void A_TableDefinition_with_its_format_becomes_the_shared_table_model()
    {
        var definition = XmlTableDefinitionParser.Parse("""
            <?xml version="1.0" encoding="utf-8"?>
            <TableDefinition TableName="Visits" Action="append">
              <Columns>
                <Column Name="visit_id" Type="integer" />
                <Column><Name>weight</Name><Type>double precision</Type></Column>
                <Column Name="visit_day" Type="date" />
                <Column Name="note" Type="TEXT" />
              </Columns>
              <Format Delimiter="|" TextQualifier="'" NullQualifier="NA" Encoding="ISO-8859-1" Header="false" HeaderCase="lower" DateFormat="dd/MM/yyyy" />
            </TableDefinition>
            """, "visits.xml");

        Assert.Equal("Visits", definition.Name);
        Assert.Equal(LoadMode.Append, definition.Mode);
        Assert.Equal([ColumnType.Integer, ColumnType.Double, ColumnType.Date, ColumnType.Text], definition.Fields.Select(f => f.Type));
        Assert.Equal("%d/%m/%Y", definition.Fields[2].Format);
        Assert.Null(definition.Fields[0].Format);
        Assert.Equal('|', definition.Delimiter);
        Assert.Equal('\'', definition.Quote);
        Assert.Equal(["NA"], definition.MissingValues);
        Assert.Equal("iso-8859-1", definition.Encoding);
        Assert.False(definition.Header);
    }

    [Fact]
    public void A_DatasetDefinition_in_any_namespace_carries_titles_descriptions_and_labels()
    {
        var definition = XmlTableDefinitionParser.Parse("""
            <ds:DatasetDefinition xmlns:ds="urn:example:datasets" TableName="patients" Action="create">
              <ds:Title>Patients</ds:Title>
              <ds:Description>One row per patient</ds:Description>
              <ds:Source>Site A registry</ds:Source>
              <ds:Columns>
                <ds:Column Name="id" Type="bigint" Label="Patient id" Description="Registry number" />
                <ds:Column Name="seen" Type="timestamp" />
              </ds:Columns>
            </ds:DatasetDefinition>
            """, "patients.xml");

        Assert.Equal(("patients", "Patients", "One row per patient", "Site A registry"), (definition.Name, definition.Title, definition.Description, definition.Provenance));
        Assert.Equal(LoadMode.Replace, definition.Mode);
        Assert.Equal(("Patient id", "Registry number"), (definition.Fields[0].Title, definition.Fields[0].Description));
        Assert.Equal(ColumnType.Timestamp, definition.Fields[1].Type);
    }

    [Theory]
    [InlineData("""<!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]><TableDefinition><Columns><Column Name="a" Type="text">&x;</Column></Columns></TableDefinition>""", "DTDs")]
    [InlineData("""<TableDefinition><Columns><Column Name="a" Type="text); drop table x;--" /></Columns></TableDefinition>""", "column 1 ('a') has Type 'text); drop table x;--'; expected one of boolean")]
    [InlineData("""<TableDefinition><Columns><Column Name="a" Type="varchar(10)" /></Columns></TableDefinition>""", "column 1 ('a') has Type 'varchar(10)'")]
    [InlineData("""<TableDefinition><Columns><Column Name="a" Type="text" /></Columns>""", "not well-formed XML (line 1")]
    [InlineData("""<Table><Columns /></Table>""", "root element is <Table>")]
    [InlineData("""<TableDefinition Action="merge"><Columns><Column Name="a" Type="text" /></Columns></TableDefinition>""", "Action is 'merge'")]
    [InlineData("""<TableDefinition><Columns /></TableDefinition>""", "declares no")]
    [InlineData("""<TableDefinition><Columns><Column Type="text" /></Columns></TableDefinition>""", "column 1 has no Name")]
    [InlineData("""<TableDefinition><Columns><Column Name="a" Type="text" /><Column Name="A" Type="text" /></Columns></TableDefinition>""", "declared 2 times")]
    [InlineData("""<TableDefinition><Columns><Column Name="a" Type="text" /></Columns><Format Delimiter=",;" /></TableDefinition>""", "Format/Delimiter")]
    [InlineData("""<TableDefinition><Columns><Column Name="a" Type="text" /></Columns><Format Encoding="klingon" /></TableDefinition>""", "Format/Encoding 'klingon'")]
    public void Bad_definitions_are_refused_with_a_precise_reason(string xml, string reason)
    {
        var error = Assert.Throws<MetadataException>(() => XmlTableDefinitionParser.Parse(xml, "bad.xml"));
        Assert.StartsWith("bad.xml", error.Message);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void An_entity_expansion_bomb_is_refused_not_expanded()
    {
        var bomb = new StringBuilder("<!DOCTYPE lolz [<!ENTITY lol \"lol\">");
        for (var i = 1; i < 10; i++)
            bomb.Append($"<!ENTITY lol{i} \"{string.Concat(Enumerable.Repeat($"&lol{(i == 1 ? "" : i - 1)};", 10))}\">");
        bomb.Append("]><TableDefinition TableName=\"&lol9;\"><Columns><Column Name=\"a\" Type=\"text\"/></Columns></TableDefinition>");
        Assert.Contains("DTDs", Assert.Throws<MetadataException>(() => XmlTableDefinitionParser.Parse(bomb.ToString(), "bomb.xml")).Message);
    }
}

/// <summary>XML sidecars through the real AzCopy, in either upload order, and refused ones leaving nothing behind.</summary>
public sealed class XmlSidecarUploadTests(InletApp app) : IClassFixture<InletApp>
{
    private const string VisitsCsv = "visit_id|weight|visit_day|note\n1|70.5|02/01/2026|first\n2|NA|15/01/2026|'with | pipe'\n";
    private const string VisitsXml = """
        <TableDefinition TableName="visits" Action="create">
          <Columns>
            <Column Name="visit_id" Type="integer" />
            <Column Name="weight" Type="double precision" />
            <Column Name="visit_day" Type="date" />
            <Column Name="note" Type="text" />
          </Columns>
          <Format Delimiter="|" TextQualifier="'" NullQualifier="NA" Header="true" DateFormat="dd/MM/yyyy" />
        </TableDefinition>
        """;
    private const string PatientsCsv = "id,seen,score\n10,2026-01-02 03:04:05,1.25\n11,2026-02-03 04:05:06,2\n";
    private const string PatientsXml = """
        <ds:DatasetDefinition xmlns:ds="urn:example:datasets" TableName="patients" Action="create">
          <ds:Title>Patients</ds:Title>
          <ds:Description>One row per patient</ds:Description>
          <ds:Source>Site A registry</ds:Source>
          <ds:Columns>
            <ds:Column Name="id" Type="bigint" Label="Patient id" Description="Registry number" />
            <ds:Column Name="seen" Type="timestamp" Label="Seen at" Description="Local time of the visit" />
            <ds:Column Name="score" Type="numeric" Label="Score" Description="Clinical score" />
          </ds:Columns>
        </ds:DatasetDefinition>
        """;

    [Fact]
    public async Task CSVs_with_TableDefinition_and_DatasetDefinition_sidecars_in_either_order_become_exactly_the_declared_tables()
    {
        var ws = InletApp.NewWorkspace("xml");
        var alice = await app.SignedIn("alice", ws);
        var token = await alice.Issue(ws, new { reason = "xml sidecars", upload_to_database = true });

        (await app.Host.UntilDecided(alice, token, 2, async () =>
        {
            await AzCopy.Upload(LocalFiles.Folder(("visits.xml", VisitsXml)), token); // definition first
            await AzCopy.Upload(LocalFiles.Folder(("patients.csv", PatientsCsv)), token); // data first
        }, 90)).Settled();
        // The visits CSV loaded with its definition, the patients definition, and the patients CSV reloaded with it.
        var uploads = (await app.Host.UploadUntilDecided(alice, token, LocalFiles.Folder(("visits.csv", VisitsCsv), ("patients.xml", PatientsXml)), 3, 90))
            .Settled().ToDictionary(u => u.Str("name"));

        var tables = (await alice.GetJson($"/api/workspaces/{ws}/tables")).EnumerateArray().ToDictionary(t => t.Str("name"));
        Assert.Equal("Patients", tables["patients"].Str("title"));

        Assert.Equal(["visit_id:integer", "weight:double precision", "visit_day:date", "note:text"],
            tables["visits"].GetProperty("columns").EnumerateArray().Select(c => $"{c.Str("name")}:{c.Str("type")}"));
        Assert.Equal(["id:bigint:Patient id:Registry number", "seen:timestamp without time zone:Seen at:Local time of the visit", "score:numeric:Score:Clinical score"],
            tables["patients"].GetProperty("columns").EnumerateArray().Select(c => $"{c.Str("name")}:{c.Str("type")}:{c.Str("title")}:{c.Str("description")}"));
        Assert.Equal("One row per patient", tables["patients"].Str("description"));
        var visits = await alice.GetJson($"/api/workspaces/{ws}/tables/visits/rows");
        Assert.Equal("[[1,70.5,\"2026-01-02\",\"first\"],[2,null,\"2026-01-15\",\"with | pipe\"]]", visits.GetProperty("rows").GetRawText());
        Assert.Equal(4, uploads.Count);
        Assert.All(uploads.Values, u => Assert.Equal("routed", u.Str("status")));
    }

    [Fact]
    public async Task Bad_sidecars_are_refused_precisely_and_leave_no_partial_table()
    {
        var ws = InletApp.NewWorkspace("xmlbad");
        var alice = await app.SignedIn("alice", ws);
        var token = await alice.Issue(ws, new { reason = "bad sidecars", upload_to_database = true });
        const string csv = "a,b\n1,2\n";
        var uploads = (await app.Host.UploadUntilDecided(alice, token, LocalFiles.Folder(
            ("xxe.csv", csv), ("xxe.xml", """<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]><TableDefinition TableName="xxe"><Columns><Column Name="a" Type="text">&x;</Column><Column Name="b" Type="text"/></Columns></TableDefinition>"""),
            ("count.csv", csv), ("count.xml", """<TableDefinition><Columns><Column Name="a" Type="integer"/></Columns></TableDefinition>"""),
            ("unknown.csv", csv), ("unknown.xml", """<TableDefinition><Columns><Column Name="a" Type="integer"/><Column Name="b" Type="money"/></Columns></TableDefinition>"""),
            ("inject.csv", csv), ("inject.xml", """<TableDefinition><Columns><Column Name="a" Type="text); drop table x;--"/><Column Name="b" Type="text"/></Columns></TableDefinition>""")), 8, 90))
            .Settled().ToDictionary(u => u.Str("name"));
        Assert.Contains("DTDs", uploads["xxe.xml"].Str("error"));
        Assert.Contains("count.csv: the header has 2 columns but the metadata declares 1", uploads["count.csv"].Str("error"));
        Assert.Contains("unknown.xml: column 2 ('b') has Type 'money'", uploads["unknown.xml"].Str("error"));
        Assert.Contains("inject.xml: column 1 ('a') has Type 'text); drop table x;--'", uploads["inject.xml"].Str("error"));
        // A CSV whose sidecar was refused is refused with it, never loaded with guessed types.
        Assert.Contains("inject.csv was not loaded because its metadata file was refused", uploads["inject.csv"].Str("error"));
        Assert.Contains("Type 'text); drop table x;--'", uploads["inject.csv"].Str("error"));
        foreach (var refused in new[] { "xxe.xml", "xxe.csv", "count.csv", "unknown.xml", "unknown.csv", "inject.xml", "inject.csv" })
            Assert.Equal(("rejected", $"inbox/{refused}"), (uploads[refused].Str("status"), uploads[refused].Str("location")));
        Assert.Equal("routed", uploads["count.xml"].Str("status"));
        Assert.Empty((await alice.GetJson($"/api/workspaces/{ws}/tables")).EnumerateArray());
    }
}
