using System.Text.Json;

namespace Host.Qmp;

/// <summary>
/// Cuts a session's byte stream into JSON requests the way QEMU's JSON streamer does: a request
/// may span lines and several may share one, so only the JSON itself says where one ends. After
/// a malformed request the rest of its line is dropped, so the next line starts clean (QEMU's
/// advice to get a stuck parser back is a lexical error, which a line-oriented client follows
/// by sending the next line).
/// </summary>
internal sealed class QmpRequestFramer
{
    private static readonly JsonReaderOptions s_options = new() { MaxDepth = 64 };

    private byte[] _data = new byte[4096];
    private int _count;
    private bool _skippingLine;

    /// <summary>True once buffered bytes exceed <see cref="QmpSession.MaxRequestBytes"/> without a whole request.</summary>
    public bool Overflowed => _count > QmpSession.MaxRequestBytes;

    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (_count + bytes.Length > _data.Length)
        {
            Array.Resize(ref _data, Math.Max(_data.Length * 2, _count + bytes.Length));
        }
        bytes.CopyTo(_data.AsSpan(_count));
        _count += bytes.Length;
    }

    /// <summary>
    /// The next whole request (the caller disposes it) or the parse error of a malformed one;
    /// false when more bytes are needed first.
    /// </summary>
    public bool TryNext(out JsonDocument? request, out string? error)
    {
        request = null;
        error = null;
        if (_skippingLine)
        {
            var newline = _data.AsSpan(0, _count).IndexOf((byte)'\n');
            if (newline < 0)
            {
                _count = 0;
                return false;
            }
            Consume(newline + 1);
            _skippingLine = false;
        }
        var span = _data.AsSpan(0, _count);
        Consume(span.Length - span.TrimStart(" \t\r\n"u8).Length);
        if (_count == 0)
        {
            return false;
        }
        var reader = new Utf8JsonReader(_data.AsSpan(0, _count), isFinalBlock: false, new JsonReaderState(s_options));
        try
        {
            if (!JsonDocument.TryParseValue(ref reader, out request))
            {
                return false;
            }
            Consume((int)reader.BytesConsumed);
            return true;
        }
        catch (JsonException e)
        {
            error = e.Message;
            Consume(ErrorOffset(e));
            _skippingLine = true;
            return true;
        }
    }

    /// <summary>Where in the buffer the reader failed, from the line and column it reports.</summary>
    private int ErrorOffset(JsonException e)
    {
        var offset = 0;
        for (var line = 0L; line < (e.LineNumber ?? 0); line++)
        {
            var newline = _data.AsSpan(offset, _count - offset).IndexOf((byte)'\n');
            if (newline < 0)
            {
                return _count;
            }
            offset += newline + 1;
        }
        return (int)Math.Min(_count, offset + (e.BytePositionInLine ?? 0));
    }

    private void Consume(int bytes)
    {
        Array.Copy(_data, bytes, _data, 0, _count - bytes);
        _count -= bytes;
    }
}
