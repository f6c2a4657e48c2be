using Xunit.Sdk;

namespace Actors.Tests.Persistence;

/// <summary>
/// A fact of an abstract contract test class, run once per concrete subclass. Unlike
/// <see cref="PostgresFactAttribute"/> (decided where the test is written), whether it is
/// skipped depends on the subclass: in a class marked <see cref="RequiresPostgresAttribute"/> it
/// is skipped loudly when PostgreSQL is not configured.
/// </summary>
[XunitTestCaseDiscoverer("Actors.Tests.Persistence.ContractFactDiscoverer", "Actors.Tests")]
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class ContractFactAttribute : FactAttribute;
