namespace Host.Tests.Nbd;

/// <summary>
/// Structured replies and BLOCK_STATUS as the tools users run see them: each tool runs against
/// our export and against qemu-storage-daemon's export of the same image, and what it prints
/// (maps, JSON) must be the same byte for byte; copies must hold the same bytes in the same
/// allocated space. The images and exports are drawn in <see cref="QsdComparisonFixture"/>.
/// </summary>
public sealed class NbdQsdComparisonTests(QsdComparisonFixture servers) : IClassFixture<QsdComparisonFixture>
{
    public static TheoryData<string> Exports => [.. QsdComparisonFixture.Exports];

    /// <summary>The exports whose bytes are defined on both servers: qsd reads null-co without read-zeroes as whatever its buffer held (ours clears it).</summary>
    public static TheoryData<string> ExportsWithContent => [.. QsdComparisonFixture.Exports.Where(e => e != "null")];

    [NbdClientTheory("nbdinfo", "qemu-storage-daemon", "qemu-img", "qemu-io")]
    [MemberData(nameof(Exports))]
    public Task Nbdinfo_map_of_base_allocation_is_the_same_as_qsds(string export) =>
        AssertSameOutputAsync(export, "nbdinfo", "--map");

    [NbdClientTheory("nbdinfo", "qemu-storage-daemon", "qemu-img", "qemu-io")]
    [MemberData(nameof(Exports))]
    public Task Nbdinfo_map_of_allocation_depth_is_the_same_as_qsds(string export) =>
        AssertSameOutputAsync(export, "nbdinfo", "--map=qemu:allocation-depth");

    [NbdClientTheory("qemu-storage-daemon", "qemu-img", "qemu-io")]
    [MemberData(nameof(Exports))]
    public Task Qemu_img_map_over_nbd_prints_the_same_json_as_for_qsd(string export) =>
        AssertSameOutputAsync(export, "qemu-img", "map", "--output=json", "-f", "raw");

    [NbdClientTheory("nbdcopy", "qemu-storage-daemon", "qemu-img", "qemu-io")]
    [MemberData(nameof(ExportsWithContent))]
    public async Task Nbdcopy_of_the_export_holds_the_same_bytes_in_as_little_space_as_from_qsd(string export)
    {
        var ours = servers.OutputPath($"nbdcopy-{export}-ours.raw");
        var qsd = servers.OutputPath($"nbdcopy-{export}-qsd.raw");

        var fromOurs = await NbdTools.RunAsync("nbdcopy", servers.Ours.Uri(export), ours);
        var fromQsd = await NbdTools.RunAsync("nbdcopy", servers.Qsd.Uri(export), qsd);

        Assert.True(fromOurs.ExitCode == 0, fromOurs.ToString());
        Assert.True(fromQsd.ExitCode == 0, fromQsd.ToString());
        Assert.Equal(await File.ReadAllBytesAsync(qsd), await File.ReadAllBytesAsync(ours));
        // Within a few blocks: the file system may allocate a copy a block more or less depending
        // on the order nbdcopy's writes land in (seen: ours 4 KiB less, now and then). A copy that
        // lost its holes would take megabytes more.
        var (spaceOfOurs, spaceOfQsds) = (await AllocatedBytesAsync(ours), await AllocatedBytesAsync(qsd));
        Assert.True(spaceOfOurs <= spaceOfQsds + (64 << 10), $"our copy takes {spaceOfOurs} bytes, qsd's {spaceOfQsds}");
    }

    [NbdClientTheory("qemu-storage-daemon", "qemu-img", "qemu-io")]
    [MemberData(nameof(ExportsWithContent))]
    public async Task Qemu_img_convert_to_qcow2_gives_the_image_it_gives_from_qsd(string export)
    {
        var ours = servers.OutputPath($"convert-{export}-ours.qcow2");
        var qsd = servers.OutputPath($"convert-{export}-qsd.qcow2");

        var fromOurs = await NbdTools.RunAsync("qemu-img", "convert", "-f", "raw", "-O", "qcow2", servers.Ours.Uri(export), ours);
        var fromQsd = await NbdTools.RunAsync("qemu-img", "convert", "-f", "raw", "-O", "qcow2", servers.Qsd.Uri(export), qsd);
        var compare = await NbdTools.RunAsync("qemu-img", "compare", "-f", "qcow2", "-F", "qcow2", qsd, ours);
        var mapOfOurs = await NbdTools.RunAsync("qemu-img", "map", "--output=json", ours);
        var mapOfQsds = await NbdTools.RunAsync("qemu-img", "map", "--output=json", qsd);

        Assert.True(fromOurs.ExitCode == 0, fromOurs.ToString());
        Assert.True(fromQsd.ExitCode == 0, fromQsd.ToString());
        Assert.True(compare.ExitCode == 0, compare.ToString());
        Assert.Contains("Images are identical", compare.Stdout);
        // The same clusters allocated, zeroed and left out: the hole and zero answers steered qemu-img alike.
        Assert.Equal(mapOfQsds.Stdout, mapOfOurs.Stdout);
    }

    /// <summary>Runs <c>TOOL ARGS URI</c> against both servers; both must succeed and print the same, and print something.</summary>
    private async Task AssertSameOutputAsync(string export, string tool, params string[] arguments)
    {
        var ours = await NbdTools.RunAsync(tool, [.. arguments, servers.Ours.Uri(export)]);
        var qsd = await NbdTools.RunAsync(tool, [.. arguments, servers.Qsd.Uri(export)]);

        Assert.True(qsd.ExitCode == 0, qsd.ToString());
        Assert.True(ours.ExitCode == 0, ours.ToString());
        Assert.NotEmpty(qsd.Stdout);
        Assert.Equal(qsd.Stdout, ours.Stdout);
    }

    private static async Task<long> AllocatedBytesAsync(string path)
    {
        var du = await NbdTools.RunAsync("du", "--block-size=1", path);
        Assert.True(du.ExitCode == 0, du.ToString());
        return long.Parse(du.Stdout.Split('\t')[0], System.Globalization.CultureInfo.InvariantCulture);
    }
}
