using BenchmarkDotNet.Running;

// Console measurements by name; anything else goes to BenchmarkDotNet (pick with --filter, e.g.
// dotnet run -c Release --project tests/Benchmarks -- --filter '*Messaging*').
switch (args)
{
    case ["graph-replay", ..]:
        Benchmarks.GraphReplay.Run();
        return 0;
    case ["writer-latency", "nbd", .. var rest]:
        return Benchmarks.WritePhasesUnderNbd.Run(rest);
    case ["writer-latency", ..]:
        return Benchmarks.WriterLatency.Run();
    default:
        BenchmarkSwitcher.FromAssembly(typeof(Benchmarks.MessagingBenchmarks).Assembly).Run(args);
        return 0;
}
