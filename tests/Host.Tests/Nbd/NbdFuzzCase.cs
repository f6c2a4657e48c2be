using System.Collections.Immutable;

namespace Host.Tests.Nbd;

/// <summary>
/// One fuzz case: a valid NBD session with one named mutation (<paramref name="Mutation"/>, e.g.
/// "NBD_CMD_READ at 9223372036536389780+3750015556, past the end of the 8388608-byte export 'disk'"), as the steps to run and
/// the answers to expect. <paramref name="Family"/> groups cases for the run's summary;
/// <paramref name="Slot"/> is the offset of the 4 KiB the case may write on the writable export.
/// </summary>
public sealed record NbdFuzzCase(int Index, string Family, string Mutation, long Slot, ImmutableArray<NbdFuzzStep> Steps);
