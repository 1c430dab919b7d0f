namespace Symphony.Coders.Context;

/// <summary>What the sentence says about a mention. Only Affirmed (and Uncertain for inpatients) is coded as a current condition.</summary>
public enum MentionStatus
{
    Affirmed,
    Negated,
    Uncertain,
    History,
    Family,
    Hypothetical,
}
