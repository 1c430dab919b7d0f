using Xunit.Abstractions;
using Xunit.Sdk;

namespace Symphony.Fhir.Server.Tests.Infrastructure;

/// <summary>
/// A fact that runs against the backend its class names: classes with "Postgres" in their name are reported
/// as skipped (not passed) when SYMPHONY_TEST_POSTGRES is not set.
/// </summary>
[XunitTestCaseDiscoverer("Symphony.Fhir.Server.Tests.Infrastructure.BackendFactDiscoverer", "Symphony.Fhir.Server.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class BackendFactAttribute : FactAttribute;

public sealed class BackendFactDiscoverer(IMessageSink diagnosticMessageSink) : IXunitTestCaseDiscoverer
{
    public IEnumerable<IXunitTestCase> Discover(
        ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        var displayOptions = discoveryOptions.MethodDisplayOrDefault();
        var methodOptions = discoveryOptions.MethodDisplayOptionsOrDefault();
        if (testMethod.TestClass.Class.Name.Contains("Postgres", StringComparison.Ordinal) && PostgresTestBackend.ConnectionString is null)
        {
            yield return new XunitSkippedDataRowTestCase(diagnosticMessageSink, displayOptions, methodOptions, testMethod,
                $"{PostgresTestBackend.Variable} is not set");
            yield break;
        }
        yield return new XunitTestCase(diagnosticMessageSink, displayOptions, methodOptions, testMethod);
    }
}
