namespace Actors.Tests.Persistence;

/// <summary>A fact that needs PostgreSQL: skipped, with the reason in the results, when <c>ACTORS_TEST_POSTGRES</c> is not set.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (PostgresTestDatabase.ConnectionString is null)
        {
            Skip = PostgresTestDatabase.SkipReason;
        }
    }
}
