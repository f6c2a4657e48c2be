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
    // How far the current request was scanned, and the reader's state there.
    private int _scanned;
    private JsonReaderState _scanState = new(s_options);

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
    /// The next whole request (the caller disposes it) or what is wrong with a malformed one, in
    /// QEMU's terms and with its position (<see cref="QmpSyntaxError"/>);
    /// false when more bytes are needed first. Bytes already scanned are not scanned again, so
    /// a long request arriving in small reads costs linear time.
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
        if (_scanned == 0)
        {
            var span = _data.AsSpan(0, _count);
            Consume(span.Length - span.TrimStart(" \t\r\n"u8).Length);
        }
        var reader = new Utf8JsonReader(_data.AsSpan(_scanned, _count - _scanned), isFinalBlock: false, _scanState);
        try
        {
            while (reader.Read())
            {
                if (reader.CurrentDepth == 0 && reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
                {
                    // The top-level value just ended. The document gets its own copy: the buffer moves on.
                    var length = _scanned + (int)reader.BytesConsumed;
                    request = JsonDocument.Parse(_data.AsSpan(0, length).ToArray(), new JsonDocumentOptions { MaxDepth = s_options.MaxDepth });
                    Consume(length);
                    ResetScan();
                    return true;
                }
            }
            _scanned += (int)reader.BytesConsumed;
            _scanState = reader.CurrentState;
            return false;
        }
        catch (JsonException e)
        {
            var offset = ErrorOffset(e);
            error = QmpSyntaxError.Describe(_data.AsSpan(0, _count), offset, s_options.MaxDepth);
            Consume(offset);
            ResetScan();
            _skippingLine = true;
            return true;
        }
    }

    private void ResetScan()
    {
        _scanned = 0;
        _scanState = new JsonReaderState(s_options);
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
