using Symphony.Terminology.Model;

namespace Symphony.Coders.Tests;

/// <summary>A hand-made slice of ICD-10-CM (titles and notes as in the FY2021 tabular) for rule tests.</summary>
static class SmallCodeSystem
{
    public static CodeSystemVersion Create()
    {
        var concepts = new Dictionary<string, Concept>(StringComparer.Ordinal);
        Concept Add(string code, string display, string? parent, bool billable, params ConceptNote[] notes)
        {
            var c = new Concept { Code = code, Display = display, ParentCode = parent, IsBillable = billable, Kind = code.Length == 3 ? "category" : "code" };
            c.Notes.AddRange(notes);
            concepts[code] = c;
            if (parent is not null) concepts[parent].Children.Add(code);
            return c;
        }
        Add("I10", "Essential (primary) hypertension", null, true, new ConceptNote(NoteKind.Includes, "high blood pressure"));
        Add("I11", "Hypertensive heart disease", null, false);
        Add("I11.0", "Hypertensive heart disease with heart failure", "I11", true);
        Add("I11.9", "Hypertensive heart disease without heart failure", "I11", true);
        Add("I12", "Hypertensive chronic kidney disease", null, false);
        Add("I12.9", "Hypertensive chronic kidney disease with stage 1 through stage 4 chronic kidney disease, or unspecified chronic kidney disease", "I12", true);
        Add("I50", "Heart failure", null, false);
        Add("I50.9", "Heart failure, unspecified", "I50", true);
        Add("E11", "Type 2 diabetes mellitus", null, false, new ConceptNote(NoteKind.UseAdditionalCode, "insulin (Z79.4)"));
        Add("E11.2", "Type 2 diabetes mellitus with kidney complications", "E11", false);
        Add("E11.22", "Type 2 diabetes mellitus with diabetic chronic kidney disease", "E11.2", true,
            new ConceptNote(NoteKind.UseAdditionalCode, "code to identify stage of chronic kidney disease (N18.1-N18.6)"));
        Add("E11.9", "Type 2 diabetes mellitus without complications", "E11", true);
        Add("N18", "Chronic kidney disease (CKD)", null, false, new ConceptNote(NoteKind.CodeFirst, "diabetic chronic kidney disease (E11.22)"));
        Add("N18.3", "Chronic kidney disease, stage 3 (moderate)", "N18", true);
        Add("N18.9", "Chronic kidney disease, unspecified", "N18", true);
        Add("J18", "Pneumonia, unspecified organism", null, false);
        Add("J18.9", "Pneumonia, unspecified organism", "J18", true);
        Add("N23", "Unspecified renal colic", null, true);
        Add("R10", "Abdominal and pelvic pain", null, false);
        Add("R10.83", "Colic", "R10", true, new ConceptNote(NoteKind.Excludes1, "renal colic (N23)"));
        Add("R50", "Fever of other and unknown origin", null, false);
        Add("R50.9", "Fever, unspecified", "R50", true, new ConceptNote(NoteKind.InclusionTerm, "Pyrexia NOS"));
        Add("S72", "Fracture of femur", null, false);
        Add("S72.00", "Fracture of unspecified part of neck of femur", "S72", false);
        Add("S72.001", "Fracture of unspecified part of neck of right femur", "S72.00", false);
        Add("S72.001A", "Fracture of unspecified part of neck of right femur, initial encounter for closed fracture", "S72.001", true);
        Add("S72.001D", "Fracture of unspecified part of neck of right femur, subsequent encounter for closed fracture with routine healing", "S72.001", true);
        Add("S72.001S", "Fracture of unspecified part of neck of right femur, sequela", "S72.001", true);
        concepts["S72"].SeventhCharacters = new Dictionary<char, string> { ['A'] = "initial encounter for closed fracture", ['D'] = "subsequent encounter", ['S'] = "sequela" };
        Add("Z80", "Family history of primary malignant neoplasm", null, false);
        Add("Z80.0", "Family history of malignant neoplasm of digestive organs", "Z80", true);
        Add("Z80.5", "Family history of malignant neoplasm of urinary tract", "Z80", true);
        Add("Z83", "Family history of other specific disorders", null, false);
        Add("Z83.3", "Family history of diabetes mellitus", "Z83", true);
        Add("Z85", "Personal history of malignant neoplasm", null, false);
        Add("Z85.5", "Personal history of malignant neoplasm of urinary tract", "Z85", false);
        Add("Z85.52", "Personal history of malignant neoplasm of kidney", "Z85.5", false);
        Add("Z85.520", "Personal history of malignant carcinoid tumor of kidney", "Z85.52", true);
        Add("Z85.528", "Personal history of other malignant neoplasm of kidney", "Z85.52", true);
        Add("Z85.9", "Personal history of malignant neoplasm, unspecified", "Z85", true);
        Add("Z87", "Personal history of other diseases and conditions", null, false);
        Add("Z87.0", "Personal history of diseases of the respiratory system", "Z87", false);
        Add("Z87.01", "Personal history of pneumonia (recurrent)", "Z87.0", true);
        concepts["C64-C68"] = new Concept { Code = "C64-C68", Display = "Malignant neoplasms of urinary tract (C64-C68)", Kind = "section" };
        Add("C64", "Malignant neoplasm of kidney, except renal pelvis", "C64-C68", false);
        Add("C64.9", "Malignant neoplasm of unspecified kidney, except renal pelvis", "C64", true);
        return new CodeSystemVersion { Url = "http://hl7.org/fhir/sid/icd-10-cm", Version = "test", Name = "ICD-10-CM slice", Concepts = concepts };
    }
}
