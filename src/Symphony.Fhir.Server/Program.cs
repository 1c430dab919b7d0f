using Symphony.Fhir.Server.Fhir;
using Symphony.Fhir.Server.Resources;
using Symphony.Fhir.Server.Storage;

var builder = WebApplication.CreateBuilder(args);
builder.AddFhirStorage();
builder.AddFhirApi();

var app = builder.Build();
app.UseFhirErrors();
app.MapFhirApi();
app.Run();

public partial class Program;
