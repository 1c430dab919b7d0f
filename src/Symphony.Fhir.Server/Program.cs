using Symphony.Fhir.Server.Audit;
using Symphony.Fhir.Server.Auth;
using Symphony.Fhir.Server.Fhir;
using Symphony.Fhir.Server.Health;
using Symphony.Fhir.Server.Resources;
using Symphony.Fhir.Server.Storage;
using Symphony.Fhir.Server.CodingJobs;
using Symphony.Fhir.Server.Review;
using Symphony.Fhir.Server.ReviewApp;
using Symphony.Fhir.Server.Telemetry;
using Symphony.Fhir.Server.Terminology;

var builder = WebApplication.CreateBuilder(args);
// Not a log line per request, wherever the server is started from (appsettings.json is read from the content root).
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
builder.AddTelemetry();
builder.AddFhirStorage();
builder.AddHealth();
builder.AddAuth();
builder.AddFhirApi();
builder.AddCoding();
builder.AddReview();
builder.AddReviewApp();
builder.AddTerminology();
// Last: it wraps the store as the features above left it, so each FHIR write commits with its AuditEvent.
builder.AddAudit();

var app = builder.Build();
app.UseFhirErrors();
// The Prometheus scrape port, when configured: anonymous, and nothing else is served on it.
app.MapTelemetry();
// Every route below needs a token but those marked AllowAnonymous (discovery, health); the token endpoint answers here.
app.UseAuthentication();
// Every read and write of resources is recorded as an AuditEvent (docs/auth.md, Audit).
app.UseAudit();
app.UseAuthorization();
app.MapAuth();
app.MapHealth();
app.MapCoding();
app.MapReview();
app.MapReviewApp();
app.MapFhirApi();
app.MapTerminology();
app.Run();

public partial class Program;
