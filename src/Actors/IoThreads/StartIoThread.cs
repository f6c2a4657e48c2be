using Akka.Actor;

namespace Actors.IoThreads;

/// <summary>Asks the IoThreads' parent to start one (in-process: Props stay on their host); answered with its reference.</summary>
internal sealed record StartIoThread(string Name, Props Props);
