namespace Inlet.BuildingBlocks.Text;

/// <summary>
/// Text cells of a CSV download that a spreadsheet opens as data, never as a formula (CSV injection: a cell
/// <c>=HYPERLINK(…)</c> or <c>=cmd|' /C calc'!A0</c> runs when the file is opened). The one owner of the rule, used by the
/// audit's CSV and a table's CSV export (docs/adr/0033): a text cell that begins with one of OWASP's trigger characters
/// (= + - @ tab, carriage return) gets a leading apostrophe, which spreadsheets take as "this cell is text". Only text
/// cells: a number or a date column is written as it is, so -5 stays -5.
/// </summary>
public static class SpreadsheetText
{
    public const char Guard = '\'';

    /// <summary>Whether a text cell beginning with <paramref name="first"/> would be read as a formula.</summary>
    public static bool StartsFormula(char first) => first is '=' or '+' or '-' or '@' or '\t' or '\r';

    /// <summary>The text as a spreadsheet-safe cell value (before CSV quoting).</summary>
    public static string Cell(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Length > 0 && StartsFormula(text[0]) ? Guard + text : text;
    }
}
