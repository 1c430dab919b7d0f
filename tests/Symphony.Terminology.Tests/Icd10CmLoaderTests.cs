using Symphony.Terminology.Loaders;
using Symphony.Terminology.Model;

namespace Symphony.Terminology.Tests;

public sealed class Icd10Cm2021Fixture
{
    public CodeSystemVersion Cm { get; } = ShippedTerminology.LoadIcd10Cm("2021");
}

public class Icd10CmLoaderTests(Icd10Cm2021Fixture fixture) : IClassFixture<Icd10Cm2021Fixture>
{
    readonly CodeSystemVersion cm = fixture.Cm;

    [Fact]
    public void Billable_codes_are_exactly_the_valid_codes_of_the_FY2021_order_file()
    {
        var orderFile = ReleaseFiles.From(ShippedTerminology.Icd10CmFiles("2021")).Single(f => f.Name.Contains("order"));
        var valid = new HashSet<string>();
        using (var reader = new StreamReader(orderFile.Open()))
        {
            while (reader.ReadLine() is { } line)
                if (line[14] == '1') valid.Add(line.Substring(6, 7).Trim());
        }
        var billable = cm.Concepts.Values.Where(c => c.IsBillable).Select(c => c.Code.Replace(".", "")).ToHashSet();

        Assert.Equal(72_621, valid.Count);
        Assert.Equal(72_621, billable.Count);
        Assert.Empty(valid.Except(billable));
    }

    [Theory]
    [InlineData("S52.521A", "S52.521", "Torus fracture of lower end of right radius, initial encounter for closed fracture")]
    [InlineData("T81.40XA", "T81.40", "Infection following a procedure, unspecified, initial encounter")]
    [InlineData("O36.5930", "O36.593", "Maternal care for other known or suspected poor fetal growth, third trimester, not applicable or unspecified")]
    public void Seventh_character_codes_exist_padded_with_X_and_only_they_are_billable(string code, string parent, string display)
    {
        var concept = cm.Find(code);
        Assert.NotNull(concept);
        Assert.True(concept.IsBillable);
        Assert.Equal(parent, concept.ParentCode);
        Assert.Equal(display, concept.Display);
        Assert.False(cm.Find(parent)!.IsBillable);
        Assert.Contains(code, cm.Find(parent)!.Children);
    }

    [Fact]
    public void Tree_runs_from_chapter_through_section_and_category_to_code()
    {
        var code = cm.Find("E11.22")!;
        Assert.Equal("Type 2 diabetes mellitus with diabetic chronic kidney disease", code.Display);
        Assert.Equal("code", code.Kind);
        var sub = cm.Find(code.ParentCode!)!;
        Assert.Equal(("E11.2", "subcategory"), (sub.Code, sub.Kind));
        var category = cm.Find(sub.ParentCode!)!;
        Assert.Equal(("E11", "category"), (category.Code, category.Kind));
        var section = cm.Find(category.ParentCode!)!;
        Assert.Equal(("E08-E13", "section"), (section.Code, section.Kind));
        var chapter = cm.Find(section.ParentCode!)!;
        Assert.Equal(("4", "chapter"), (chapter.Code, chapter.Kind));
        Assert.Null(chapter.ParentCode);
    }

    [Fact]
    public void A_one_category_section_does_not_collide_with_its_category()
    {
        Assert.Equal("section", cm.Find("B10-B10")!.Kind);
        Assert.Equal("category", cm.Find("B10")!.Kind);
        Assert.Equal("B10-B10", cm.Find("B10")!.ParentCode);
    }

    [Fact]
    public void Tabular_notes_are_kept_with_their_kind()
    {
        var i10 = cm.Find("I10")!;
        Assert.True(i10.IsBillable);
        Assert.Contains(i10.Notes, n => n.Kind == NoteKind.Includes && n.Text == "high blood pressure");
        Assert.Contains(i10.Notes, n => n.Kind == NoteKind.Excludes1 && n.Text.Contains("(O10-O11, O13-O16)"));
        Assert.Contains(cm.Find("E11")!.Notes, n => n.Kind == NoteKind.UseAdditionalCode && n.Text.Contains("insulin"));
        Assert.Contains(cm.Find("N18")!.Notes, n => n.Kind == NoteKind.CodeFirst);
        Assert.Contains(cm.Find("A00.0")!.Notes, n => n.Kind == NoteKind.InclusionTerm && n.Text == "Classical cholera");
    }

    [Fact]
    public void External_cause_index_lines_are_flattened_with_nonessential_modifiers_apart()
    {
        var lines = cm.IndexEntries.Where(e => e.Index == "external-cause").ToList();
        var boat = Assert.Single(lines, e => e.Path.SequenceEqual(["Accident", "boat, boating", "striking swimmer", "powered"]));
        Assert.Equal("V94.11", boat.Code);
        Assert.Contains("(to)", boat.Modifiers);
        var abandonment = Assert.Single(lines, e => e.Path.SequenceEqual(["Abandonment NEC"]));
        Assert.Equal("X58", abandonment.Code);
        Assert.StartsWith("(causing exposure to weather conditions)", abandonment.Modifiers[0]);
        var car = Assert.Single(lines, e => e.Path.SequenceEqual(["Accident", "car"]));
        Assert.Equal(("", "Accident, transport, car occupant"), (car.Code, car.See));
    }

    [Fact]
    public void Neoplasm_and_drug_tables_give_one_line_per_cell_with_its_column()
    {
        var abdomen = cm.IndexEntries.Where(e => e.Index == "neoplasm" && e.Path.SequenceEqual(["Neoplasm, neoplastic", "abdomen, abdominal"])).ToList();
        Assert.Equal(6, abdomen.Count);
        Assert.Contains(abdomen, e => e.Column == "Malignant Primary" && e.Code == "C76.2");
        Assert.Contains(abdomen, e => e.Column == "Malignant Secondary" && e.Code == "C79.8-");
        var propanol = cm.IndexEntries.Where(e => e.Index == "drug" && e.Path.SequenceEqual(["1-propanol"])).ToList();
        Assert.Equal(4, propanol.Count); // the "--" cells are not codes
        Assert.Contains(propanol, e => e.Column == "Poisoning Accidental (unintentional)" && e.Code == "T51.3X1");
    }

    [Fact]
    public void FY2021_is_in_force_from_1_October_2020() =>
        Assert.Equal(new DateOnly(2020, 10, 1), cm.EffectiveFrom);
}
