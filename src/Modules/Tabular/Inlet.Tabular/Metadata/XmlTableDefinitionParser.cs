using System.Text;
using System.Xml;
using System.Xml.Linq;
using Inlet.BuildingBlocks.Text;
using Inlet.Tabular.Loading;

namespace Inlet.Tabular.Metadata;

/// <summary>
/// Reads the XML table definitions research platforms already use, matched to a CSV by base name
/// (<c>visits.xml</c> beside <c>visits.csv</c>), into the same model as a Frictionless Table Schema:
/// <c>TableDefinition</c> (TableName, Action, Columns/Column Name+Type, Format) and
/// <c>DatasetDefinition</c> in any namespace (TableName, Action, Title, Description, Source, Columns/Column
/// Name+Type+Label+Description). Values may be attributes or child elements. Parsing is safe: no DTDs,
/// no entities, no external resources, a size limit; types come from a whitelist, never pasted into SQL.
/// </summary>
public static class XmlTableDefinitionParser
{
    public const int MaxBytes = 1024 * 1024;

    /// <summary>Parses decoded text: an encoding named in the XML declaration was applied when the file was read.</summary>
    public static TableDefinition Parse(string xml, string fileName)
    {
        if (xml.Length > MaxBytes)
            throw new MetadataException($"{fileName} is {xml.Length:N0} characters long; table definitions may be at most {MaxBytes:N0}.");
        var root = Load(xml, fileName);
        var kind = root.Name.LocalName;
        if (kind is not ("TableDefinition" or "DatasetDefinition"))
            throw new MetadataException($"{fileName}: the root element is <{kind}>; expected <TableDefinition> or <DatasetDefinition>.");

        var columns = Child(root, "Columns")?.Elements().Where(e => e.Name.LocalName == "Column").ToList() ?? [];
        if (columns.Count == 0)
            throw new MetadataException($"{fileName}: <{kind}> declares no <Columns><Column …/></Columns>; declare one column per CSV column, in the file's order.");
        var format = Child(root, "Format");
        var dateFormat = format is null ? null : Value(format, "DateFormat");
        var fields = columns.Select((column, i) => Field(column, i, fileName, dateFormat)).ToList();
        var duplicate = fields.GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new MetadataException($"{fileName}: column '{duplicate.Key}' is declared {duplicate.Count()} times; column names must be unique.");

        var nullQualifier = format is null ? null : Value(format, "NullQualifier");
        return new TableDefinition(
            Name: Value(root, "TableName"),
            Title: kind == "DatasetDefinition" ? Value(root, "Title") : null,
            Description: kind == "DatasetDefinition" ? Value(root, "Description") : null,
            Mode: Action(root, fileName),
            Fields: fields,
            MissingValues: nullQualifier is null ? [""] : [nullQualifier],
            PrimaryKey: [],
            Delimiter: format is null ? null : Delimiter(Value(format, "Delimiter"), fileName),
            Header: format is null || Header(Value(format, "Header"), fileName),
            Quote: format is null ? null : OneCharacter(Value(format, "TextQualifier"), "Format/TextQualifier", fileName),
            Encoding: format is null ? null : Encoding(Value(format, "Encoding"), fileName),
            Provenance: kind == "DatasetDefinition" ? Value(root, "Source") : null);
    }

    private static XElement Load(string xml, string fileName)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersFromEntities = 0,
            MaxCharactersInDocument = MaxBytes,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
        };
        try
        {
            using var reader = XmlReader.Create(new StringReader(xml), settings);
            return XDocument.Load(reader).Root ?? throw new MetadataException($"{fileName} has no root element.");
        }
        catch (XmlException e) when (e.Message.Contains("DTD", StringComparison.OrdinalIgnoreCase))
        {
            throw new MetadataException($"{fileName}: DTDs and entity declarations (<!DOCTYPE …>) are not allowed in table definitions; remove them.");
        }
        catch (XmlException e)
        {
            throw new MetadataException($"{fileName} is not well-formed XML (line {e.LineNumber}, position {e.LinePosition}): {e.Message}");
        }
    }

    private static FieldDefinition Field(XElement column, int index, string fileName, string? dateFormat)
    {
        var where = $"{fileName}: column {index + 1}";
        var name = Value(column, "Name") ?? throw new MetadataException($"{where} has no Name.");
        where += $" ('{QuotedText.Printable(name, 100)}')";
        var typeName = Value(column, "Type") ?? throw new MetadataException($"{where} has no Type; expected one of {ColumnTypes.DeclarableNames}.");
        if (!ColumnTypes.TryDeclared(typeName, out var type))
            throw new MetadataException($"{where} has Type '{QuotedText.Printable(typeName, 100)}'; expected one of {ColumnTypes.DeclarableNames}.");
        var format = dateFormat is not null && type is ColumnType.Date or ColumnType.Timestamp or ColumnType.TimestampTz
            ? StrptimeFrom(dateFormat, fileName)
            : null;
        return new FieldDefinition(name, type, format, Value(column, "Label"), Value(column, "Description"),
            Required: false, Unique: false, Enum: null, TrueValues: null, FalseValues: null,
            Minimum: null, Maximum: null, MinLength: null, MaxLength: null, Pattern: null);
    }

    private static LoadMode Action(XElement root, string fileName) => Value(root, "Action")?.ToLowerInvariant() switch
    {
        null or "create" or "replace" => LoadMode.Replace,
        "append" => LoadMode.Append,
        var other => throw new MetadataException($"{fileName}: Action is '{QuotedText.Printable(other, 100)}'; expected 'create' or 'append'."),
    };

    private static char? Delimiter(string? text, string fileName) => text?.ToLowerInvariant() switch
    {
        null => null,
        "\\t" or "tab" or "\t" => '\t',
        "comma" => ',',
        "semicolon" => ';',
        "pipe" => '|',
        _ => OneCharacter(text, "Format/Delimiter", fileName),
    };

    private static char? OneCharacter(string? text, string what, string fileName) => text switch
    {
        null => null,
        { Length: 1 } when !char.IsControl(text[0]) || text[0] == '\t' => text[0],
        _ => throw new MetadataException($"{fileName}: {what} is '{QuotedText.Printable(text, 100)}'; expected a single character."),
    };

    private static bool Header(string? text, string fileName) => text?.ToLowerInvariant() switch
    {
        null or "true" or "yes" or "1" => true,
        "false" or "no" or "0" => false,
        _ => throw new MetadataException($"{fileName}: Format/Header is '{QuotedText.Printable(text, 100)}'; expected true or false."),
    };

    private static string? Encoding(string? name, string fileName)
    {
        if (name is null)
            return null;
        try
        {
            return System.Text.Encoding.GetEncoding(name).WebName;
        }
        catch (ArgumentException)
        {
            throw new MetadataException($"{fileName}: Format/Encoding '{QuotedText.Printable(name, 100)}' is not an encoding Inlet knows; use UTF-8 (or e.g. ISO-8859-1, UTF-16).");
        }
    }

    // Longest first, so that "yyyy" is not read as two "yy".
    private static readonly (string Token, string Strptime)[] DateTokens =
    [
        ("YYYY", "%Y"), ("yyyy", "%Y"), ("HH24", "%H"), ("MMMM", "%B"), ("MMM", "%b"), ("MON", "%b"), ("fffffff", "%f"), ("ffffff", "%f"),
        ("fff", "%f"), ("YY", "%y"), ("yy", "%y"), ("MM", "%m"), ("DD", "%d"), ("dd", "%d"), ("HH", "%H"), ("MI", "%M"), ("mm", "%M"),
        ("SS", "%S"), ("ss", "%S"), ("M", "%m"), ("d", "%d"), ("H", "%H"),
    ];

    /// <summary>DateFormat as .NET ("dd/MM/yyyy") or PostgreSQL ("DD/MM/YYYY HH24:MI:SS") writes it, or already strptime ("%d/%m/%Y").</summary>
    private static string StrptimeFrom(string dateFormat, string fileName)
    {
        if (dateFormat.Contains('%'))
            return dateFormat;
        var result = new StringBuilder();
        for (var i = 0; i < dateFormat.Length;)
        {
            var match = DateTokens.FirstOrDefault(t => string.CompareOrdinal(dateFormat, i, t.Token, 0, t.Token.Length) == 0);
            if (match.Token is null)
            {
                if (char.IsLetter(dateFormat[i]) && dateFormat[i] != 'T')
                    throw new MetadataException($"{fileName}: Format/DateFormat '{QuotedText.Printable(dateFormat, 100)}' has '{dateFormat[i]}', which Inlet cannot read; use e.g. dd/MM/yyyy or yyyy-MM-dd HH:mm:ss.");
                result.Append(dateFormat[i]);
                i++;
                continue;
            }
            result.Append(match.Strptime);
            i += match.Token.Length;
        }
        return result.ToString();
    }

    private static XElement? Child(XElement parent, string name) => parent.Elements().FirstOrDefault(e => e.Name.LocalName == name);

    /// <summary>An attribute or a child element of that name; blank counts as absent.</summary>
    private static string? Value(XElement element, string name)
    {
        var text = element.Attributes().FirstOrDefault(a => a.Name.LocalName == name)?.Value ?? Child(element, name)?.Value;
        return string.IsNullOrWhiteSpace(text) ? null : text.Trim();
    }
}
