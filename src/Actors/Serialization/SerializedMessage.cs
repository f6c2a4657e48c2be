namespace Actors.Serialization;

/// <summary>A message or event in its stored or wire form: its stable manifest and its bytes.</summary>
public sealed record SerializedMessage(string Manifest, ReadOnlyMemory<byte> Payload);
