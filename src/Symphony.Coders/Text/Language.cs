namespace Symphony.Coders.Text;

/// <summary>Languages the coder reads. Each has its own stemming, stopwords and data files.</summary>
public enum Language
{
    English,
    Spanish,
}

public static class LanguageCodes
{
    public static Language Parse(string code) => code.Trim().ToLowerInvariant() switch
    {
        "en" or "english" => Language.English,
        "es" or "spanish" => Language.Spanish,
        _ => throw new ArgumentException($"Unknown language '{code}' (expected en or es).", nameof(code)),
    };

    public static string ToCode(this Language language) => language == Language.Spanish ? "es" : "en";
}
