using Xunit;

namespace TestTools;

/// <summary>A fact that needs PostgreSQL: reported as skipped, with the reason, when <c>ACTORS_TEST_POSTGRES</c> is not set.</summary>
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
