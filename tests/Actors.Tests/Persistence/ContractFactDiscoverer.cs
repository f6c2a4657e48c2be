using Xunit.Abstractions;
using Xunit.Sdk;

namespace Actors.Tests.Persistence;

/// <summary>Discovers <see cref="ContractFactAttribute"/> tests, skipping them in PostgreSQL classes when no server is configured.</summary>
public sealed class ContractFactDiscoverer(IMessageSink diagnosticMessageSink) : IXunitTestCaseDiscoverer
{
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        var display = discoveryOptions.MethodDisplayOrDefault();
        var displayOptions = discoveryOptions.MethodDisplayOptionsOrDefault();
        var needsPostgres = testMethod.TestClass.Class.GetCustomAttributes(typeof(RequiresPostgresAttribute).AssemblyQualifiedName).Any();
        if (needsPostgres && PostgresTestDatabase.ConnectionString is null)
        {
            yield return new XunitSkippedDataRowTestCase(diagnosticMessageSink, display, displayOptions, testMethod, PostgresTestDatabase.SkipReason);
        }
        else
        {
            yield return new XunitTestCase(diagnosticMessageSink, display, displayOptions, testMethod);
        }
    }
}
