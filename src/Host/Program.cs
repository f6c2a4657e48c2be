using Host.Cli;

return await HostCommand.RunAsync(args, Console.Out, Console.Error);
