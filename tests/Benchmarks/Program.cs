using BenchmarkDotNet.Running;

// writer-latency: a console measurement of the graph lock's writer latency (WriterLatency.cs).
// Anything else goes to BenchmarkDotNet; pick benchmarks with --filter, e.g.:
// dotnet run -c Release --project tests/Benchmarks -- --filter '*Messaging*'
if (args is ["writer-latency", ..])
{
    return Benchmarks.WriterLatency.Run();
}
BenchmarkSwitcher.FromAssembly(typeof(Benchmarks.MessagingBenchmarks).Assembly).Run(args);
return 0;
