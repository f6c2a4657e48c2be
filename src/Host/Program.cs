using Host.Bench;
using Host.Cli;

return args is ["bench", .. var rest]
    ? await BenchCommand.RunAsync(rest, Console.Out, Console.Error)
    : await HostCommand.RunAsync(args, Console.Out, Console.Error);
