using Host.Bench;
using Host.Cli;
using Host.Demo;

return args switch
{
    ["bench", .. var rest] => await BenchCommand.RunAsync(rest, Console.Out, Console.Error),
    ["demo", .. var rest] => await DemoCommand.RunAsync(rest, DemoCommand.CreateConsole(), Console.Error),
    _ => await HostCommand.RunAsync(args, Console.Out, Console.Error),
};
