using System.Text;
using KvmStor.Cli;

namespace KvmStor.Tests.Cli;

/// <summary>The secret commands through the in-process CLI on a throw-away session state.</summary>
public class SecretCliTests : IDisposable
{
    private const string Uuid = "c1f11a6d-8c5d-4a3b-ac7a-4e171c5e0d4a";
    private const string Other = "0a5f7c2e-1b1d-4d6e-9f00-3c2b1a000001";
    private const string Password = "s3cr3t-Chap-Passw0rd";
    private static readonly string Base64 = Convert.ToBase64String(Encoding.ASCII.GetBytes(Password));

    private readonly TempStateDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private CliResult Run(byte[]? stdin, bool stdinIsTerminal, params string[] args) => CliRunner.Run(new CliServices
    {
        Environment = new Dictionary<string, string>(_dir.Environment),
        OpenHost = _ => _dir.OpenHost(),
        StdinIsTerminal = stdinIsTerminal,
        OpenStdin = () => new MemoryStream(stdin ?? []),
        ReadHiddenLine = () => Base64,
    }, args);

    private CliResult Run(params string[] args) => Run(null, true, args);

    private string Ok(params string[] args)
    {
        var result = Run(args);
        Assert.True(result.ExitCode == 0, $"kvmstor {string.Join(' ', args)} failed: {result.Stderr}");
        Assert.Equal("", result.Stderr);
        return result.Stdout;
    }

    private string WriteFile(string name, string text)
    {
        string path = Path.Combine(_dir.Root, name);
        File.WriteAllText(path, text);
        return path;
    }

    private void DefineIscsi(string uuid = Uuid, string target = "iqn.2024-01.org.example:tgt", string flags = "") =>
        Ok("secret-define", WriteFile($"{uuid}.in.xml",
            $"<secret{flags}><uuid>{uuid}</uuid><usage type='iscsi'><target>{target}</target></usage></secret>"));

    [Fact]
    public void DefineListDumpUndefine()
    {
        string file = WriteFile("s.xml", $"<secret ephemeral='no' private='no'><uuid>{Uuid}</uuid><usage type='iscsi'><target>libvirtiscsi</target></usage></secret>");
        Assert.Equal($"Secret {Uuid} created\n\n", Ok("secret-define", file));
        DefineIscsi(Other, "iqn.x:y");

        Assert.Equal(
            " UUID                                   Usage\n"
            + new string('-', (36 + 3) + ("iscsi libvirtiscsi".Length + 3)) + "\n"
            + $" {Other}   iscsi iqn.x:y\n"
            + $" {Uuid}   iscsi libvirtiscsi\n\n",
            Ok("secret-list"));

        Assert.Equal($"<secret ephemeral='no' private='no'>\n  <uuid>{Uuid}</uuid>\n  <usage type='iscsi'>\n    <target>libvirtiscsi</target>\n  </usage>\n</secret>\n\n",
            Ok("secret-dumpxml", Uuid));
        Assert.Equal("<target>libvirtiscsi</target>\n\n", Ok("secret-dumpxml", Uuid, "--xpath", "/secret/usage/target"));

        Assert.Equal($"Secret {Uuid} deleted\n\n", Ok("secret-undefine", Uuid));
        Assert.DoesNotContain(Uuid, Ok("secret-list"));
    }

    [Fact]
    public void ListFiltersByPrivateAndEphemeral()
    {
        DefineIscsi(Uuid, "a", " private='yes'");
        DefineIscsi(Other, "b", " ephemeral='yes'");
        Assert.Contains(Uuid, Ok("secret-list", "--private"));
        Assert.DoesNotContain(Other, Ok("secret-list", "--private"));
        Assert.Contains(Other, Ok("secret-list", "--ephemeral", "--no-private"));
        Assert.DoesNotContain(Uuid, Ok("secret-list", "--no-private"));
    }

    [Fact]
    public void SetValueFromBase64ArgumentThenGetValue()
    {
        DefineIscsi();
        var set = Run("secret-set-value", Uuid, "--base64", Base64);
        Assert.Equal(0, set.ExitCode);
        Assert.Equal("Secret value set\n\n", set.Stdout);
        Assert.Equal("error: Passing secret value as command-line argument is insecure!\n", set.Stderr);
        Assert.Equal(Base64 + "\n", Ok("secret-get-value", Uuid));
        Assert.Equal(Password + "\n", Ok("secret-get-value", Uuid, "--plain"));
    }

    [Fact]
    public void PositionalValueIsBase64AsInVirsh()
    {
        DefineIscsi();
        var set = Run("secret-set-value", Uuid, Base64);
        Assert.Equal(0, set.ExitCode);
        Assert.Equal("Secret value set\n\n", set.Stdout);
        Assert.Equal("error: Passing secret value as command-line argument is insecure!\n", set.Stderr);
        Assert.Equal(Password + "\n", Ok("secret-get-value", Uuid, "--plain"));

        // The secret by name, the value still by position.
        Assert.Equal(0, Run("secret-set-value", "--secret", Uuid, Convert.ToBase64String("second"u8.ToArray())).ExitCode);
        Assert.Equal("second\n", Ok("secret-get-value", Uuid, "--plain"));
    }

    [Theory]
    [InlineData("not base64 " + Password)]
    [InlineData("/etc/" + Password)]     // once taken for a file name, and echoed in "Failed to open file"
    [InlineData(Password + "=")]
    public void InvalidPositionalValueIsRefusedWithoutEchoingIt(string value)
    {
        DefineIscsi();
        var result = Run("secret-set-value", Uuid, value);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: Passing secret value as command-line argument is insecure!\n"
            + "error: secret value is not valid base64\n", result.Stderr);
        Assert.DoesNotContain(Password, result.Stderr + result.Stdout);
        Assert.Equal(1, Run("secret-get-value", Uuid).ExitCode); // still no value
    }

    [Fact]
    public void PositionalValueWithAnotherSourceIsRefusedAsVirshDoes()
    {
        DefineIscsi();
        foreach (var (flag, extra) in new[] { ("file", new[] { "--file", "/etc/hostname" }), ("interactive", ["--interactive"]), ("plain", ["--plain"]) })
        {
            var result = Run(["secret-set-value", Uuid, Base64, .. extra]);
            Assert.Equal(1, result.ExitCode);
            Assert.Equal($"error: Options --{flag} and --base64 are mutually exclusive\n", result.Stderr);
        }
        Assert.Equal("error: Failed to get option 'base64': Option argument is empty\n", Run("secret-set-value", Uuid, "").Stderr);
    }

    [Fact]
    public void ValueIsInNoFileButTheValueFile()
    {
        DefineIscsi();
        Assert.Equal(0, Run("secret-set-value", Uuid, Base64).ExitCode);
        Assert.Equal(1, Run("secret-set-value", Uuid, "%%%" + Password).ExitCode);
        var holders = Directory.EnumerateFiles(_dir.Root, "*", SearchOption.AllDirectories)
            .Where(f => File.ReadAllText(f) is var text && (text.Contains(Base64) || text.Contains(Password)))
            .Select(f => Path.GetRelativePath(_dir.Root, f));
        Assert.Equal([$"secrets/{Uuid}.base64"], holders);
    }

    [Fact]
    public void SetValueFromFileBase64OrPlain()
    {
        DefineIscsi();
        Ok("secret-set-value", Uuid, "--file", WriteFile("v.b64", Base64 + "\n"));
        Assert.Equal(Base64 + "\n", Ok("secret-get-value", Uuid));
        Ok("secret-set-value", Uuid, "--file", WriteFile("v.raw", "raw value\n"), "--plain");
        Assert.Equal("raw value\n\n", Ok("secret-get-value", Uuid, "--plain"));
    }

    [Fact]
    public void SetValueReadsStandardInputWhenItIsNotATerminal()
    {
        DefineIscsi();
        var result = Run(Encoding.ASCII.GetBytes(Base64 + "\n"), false, "secret-set-value", Uuid);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(Base64 + "\n", Ok("secret-get-value", Uuid));
    }

    [Fact]
    public void SetValueInteractiveReadsTheHiddenLine()
    {
        DefineIscsi();
        Assert.Equal("Enter new value for secret:Secret value set\n\n", Ok("secret-set-value", Uuid, "--interactive"));
        Assert.Equal(Base64 + "\n", Ok("secret-get-value", Uuid));
    }

    [Fact]
    public void SetValueWithoutAnyInputOnATerminalFails()
    {
        DefineIscsi();
        var result = Run("secret-set-value", Uuid);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: Input secret value is missing\n", result.Stderr);
    }

    [Fact]
    public void SetValueOptionsAreExclusive()
    {
        DefineIscsi();
        var result = Run("secret-set-value", Uuid, "--file", "/nonexistent", "--base64", Base64);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: Options --file and --base64 are mutually exclusive\n", result.Stderr);
    }

    [Fact]
    public void BadBase64IsRefusedWithoutEchoingTheValue()
    {
        DefineIscsi();
        var result = Run(Encoding.ASCII.GetBytes("not*base64!" + Password), false, "secret-set-value", Uuid);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: secret value is not valid base64\n", result.Stderr);
        Assert.DoesNotContain(Password, result.Stderr + result.Stdout);
    }

    [Fact]
    public void PrivateValueIsRefusedAndNeverPrinted()
    {
        DefineIscsi(flags: " private='yes'");
        Ok("secret-set-value", Uuid, "--file", WriteFile("v.b64", Base64));
        var result = Run("secret-get-value", Uuid);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: Invalid secret: secret is private\n", result.Stderr);
        Assert.DoesNotContain(Base64, result.Stdout);
        Assert.DoesNotContain(Base64, Ok("secret-dumpxml", Uuid));
    }

    [Fact]
    public void UnknownSecretGetsVirshsTwoLines()
    {
        var result = Run("secret-dumpxml", Other);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"error: failed to get secret '{Other}'\nerror: Secret not found: no secret with matching uuid '{Other}'\n", result.Stderr);
    }

    [Fact]
    public void NonUuidThatNamesNoUsageGetsLibvirtsInvalidUuidText()
    {
        var result = Run("secret-dumpxml", "nonsense");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: failed to get secret 'nonsense'\nerror: uuidstr in virSecretLookupByUUIDString must be a valid UUID\n", result.Stderr);
    }

    [Fact]
    public void DuplicateUsageIsRefusedOnDefine()
    {
        DefineIscsi();
        string file = WriteFile("dup.xml", $"<secret><uuid>{Other}</uuid><usage type='iscsi'><target>iqn.2024-01.org.example:tgt</target></usage></secret>");
        var result = Run("secret-define", file);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"error: Failed to set attributes from {file}\n"
            + $"error: internal error: a secret with UUID {Uuid} already defined for use with iqn.2024-01.org.example:tgt\n", result.Stderr);
    }

    [Fact]
    public void BadUsageTypeIsAnXmlError()
    {
        string file = WriteFile("bad.xml", "<secret><usage type='nfs'/></secret>");
        var result = Run("secret-define", file);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"error: Failed to set attributes from {file}\nerror: unsupported configuration: unknown secret usage type nfs\n", result.Stderr);
    }
}
