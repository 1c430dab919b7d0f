using Hl7.Fhir.Model;
using Symphony.Coders;
using Symphony.Coders.Context;

namespace Symphony.Fhir.Server.CodingJobs;

/// <summary>
/// Condition.verificationStatus and clinicalStatus from what decided a code (see docs/coding.md, "Statuses written").
/// Verification: a code from an uncertain mention coded as established (inpatient, Section II.H) is provisional
/// ("a tentative diagnosis"), a stated one confirmed; the machine-suggested tag, not this status, says that no coder
/// has accepted the code yet. Clinical: a past condition reported with its personal-history code is resolved (it no
/// longer exists and is not treated: Guideline I.C.21.c.4); every other code is active, family-history codes included
/// (the family history is a present fact about the patient).
/// </summary>
public static class ConditionStatuses
{
    public const string VerificationSystem = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
    public const string ClinicalSystem = "http://terminology.hl7.org/CodeSystem/condition-clinical";

    public static Coding Verification(CodedConcept code) => code.Status switch
    {
        MentionStatus.Uncertain => new Coding(VerificationSystem, "provisional", "Provisional"),
        MentionStatus.Hypothetical => new Coding(VerificationSystem, "unconfirmed", "Unconfirmed"),
        MentionStatus.Negated => new Coding(VerificationSystem, "refuted", "Refuted"),
        _ => new Coding(VerificationSystem, "confirmed", "Confirmed"),
    };

    /// <summary>Null for a refuted code: a condition the note denies has no clinical status.</summary>
    public static Coding? Clinical(CodedConcept code) =>
        code.Status == MentionStatus.Negated ? null
        : RuleWording.ReportsPastCondition(code) ? new Coding(ClinicalSystem, "resolved", "Resolved")
        : new Coding(ClinicalSystem, "active", "Active");
}
