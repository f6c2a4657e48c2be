using Actors.Core;

namespace Actors.TestKit;

/// <summary>A stand-in actor for a test: it records what it is sent, and the test asserts on it.</summary>
public sealed class TestProbe : TestKitBase
{
    internal TestProbe(ActorSystem system, TestKitSettings settings, string name)
        : base(system, settings, name)
    {
    }

    /// <summary>The probe as a reference to hand to actors.</summary>
    public IActorRef Ref => TestActor;
}
