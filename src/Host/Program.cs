using Host.Bench;
using Host.Cli;
using Host.Demo;

// Socket completions run on the socket engine's thread instead of hopping through the thread pool:
// one thread wake-up fewer per batch of NBD requests (README, Performance). Every socket
// continuation in the host is short and never waits for another socket: an NBD connection's only
// posts into its strand (its IoThread runs the requests), QMP's awaits the Coordinator. The
// engine reads this variable once, when the first socket is made, so it is set before any (unless
// the user set it: =0 turns it off).
const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
if (Environment.GetEnvironmentVariable(InlineCompletions) is null)
{
    Environment.SetEnvironmentVariable(InlineCompletions, "1");
}

return args switch
{
    ["bench", .. var rest] => await BenchCommand.RunAsync(rest, Console.Out, Console.Error),
    ["demo", .. var rest] => await DemoCommand.RunAsync(rest, DemoCommand.CreateConsole(), Console.Error),
    _ => await HostCommand.RunAsync(args, Console.Out, Console.Error),
};
