namespace Actors.Tests.Persistence;

/// <summary>
/// Marks a test class whose inherited <see cref="ContractFactAttribute"/> tests need PostgreSQL:
/// without <c>ACTORS_TEST_POSTGRES</c> each of them is reported as skipped, with the reason.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class RequiresPostgresAttribute : Attribute;
