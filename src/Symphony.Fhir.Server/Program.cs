using Symphony.Fhir.Server.Fhir;
using Symphony.Fhir.Server.Resources;
using Symphony.Fhir.Server.Storage;
using Symphony.Fhir.Server.CodingJobs;

var builder = WebApplication.CreateBuilder(args);
builder.AddFhirStorage();
builder.AddFhirApi();
builder.AddCoding();

var app = builder.Build();
app.UseFhirErrors();
app.MapCoding();
app.MapFhirApi();
app.Run();

public partial class Program;
