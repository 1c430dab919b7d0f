namespace Symphony.Coders.Text;

/// <summary>A word of the note: where it is (UTF-16 offsets into the text as given) and its matching key.</summary>
public readonly record struct Token(int Start, int Length, string Key, bool IsStopword)
{
    public int End => Start + Length;
}

/// <summary>A sentence: its character range and the range of its tokens in the note's token list.</summary>
public readonly record struct Sentence(int Start, int Length, int FirstToken, int TokenCount)
{
    public int End => Start + Length;
}
