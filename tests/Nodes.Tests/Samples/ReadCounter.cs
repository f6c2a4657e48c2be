using Akka.Actor;
using Nodes.Runtime;

namespace Nodes.Tests.Samples;

/// <summary>
/// The README's sample of a custom actor beside the nodes of an IoThread: put on the loop's
/// dispatcher, it runs on the thread of the node's requests and reads the node without a lock.
/// </summary>
public sealed class ReadCounter : ReceiveActor
{
    public ReadCounter(GraphRuntime runtime, string node) =>
        Receive<string>(_ => Sender.Tell(((CountingFilter)runtime.Find(node)!).Reads));
}
