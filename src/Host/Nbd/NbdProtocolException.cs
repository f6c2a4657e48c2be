namespace Host.Nbd;

/// <summary>A client broke the protocol in a way that leaves no choice but closing its connection.</summary>
internal sealed class NbdProtocolException(string message) : Exception(message);
