namespace Actors.IoThreads;

/// <summary>The system call a <see cref="FileRequest"/> makes: pwrite, pread or fdatasync.</summary>
internal enum FileRequestKind
{
    Write,
    Read,
    DataSync,
}
