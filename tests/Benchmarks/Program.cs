using BenchmarkDotNet.Running;

if (args is ["replay", ..]) { Benchmarks.JournalReplay.Run(); return; }
if (args is ["graph-replay", ..]) { Benchmarks.GraphReplay.Run(); return; }

// Pick benchmarks with --filter, e.g.: dotnet run -c Release --project tests/Benchmarks -- --filter '*Messaging*'
BenchmarkSwitcher.FromAssembly(typeof(Benchmarks.MessagingBenchmarks).Assembly).Run(args);
