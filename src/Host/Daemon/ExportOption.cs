using System.Collections.Immutable;

namespace Host.Daemon;

/// <summary><c>--export type=nbd,id=e0,node-name=disk0,name=disk0,writable=on[,iothread=io0]</c>.</summary>
public sealed record ExportOption(string Id, string NodeName, string Name, bool Writable, string? IoThread)
{
    public static ExportOption Parse(string value)
    {
        var p = KeyValueList.Parse(value, "--export");
        if (p.GetValueOrDefault("type") != "nbd")
        {
            throw new ArgumentException("--export: only type=nbd is supported");
        }
        var id = p.GetValueOrDefault("id") ?? throw new ArgumentException("--export: Parameter 'id' is missing");
        var node = p.GetValueOrDefault("node-name") ?? throw new ArgumentException("--export: Parameter 'node-name' is missing");
        var writable = p.GetValueOrDefault("writable", "off") switch
        {
            "on" or "true" => true,
            "off" or "false" => false,
            var other => throw new ArgumentException($"--export: Parameter 'writable' expects 'on' or 'off', got '{other}'"),
        };
        return new ExportOption(id, node, p.GetValueOrDefault("name", node), writable, p.GetValueOrDefault("iothread"));
    }
}
