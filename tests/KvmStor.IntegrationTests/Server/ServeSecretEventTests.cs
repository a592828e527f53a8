namespace KvmStor.IntegrationTests.Server;

/// <summary>
/// The real virsh's `secret-event --loop` on `kvmstor serve` receives the events of secret changes made by kvmstor CLI
/// processes (not only those made through the server), as libvirt raises them: secret-define (new or redefined) →
/// Defined, secret-set-value → value-changed, secret-undefine → Undefined.
/// </summary>
public sealed class ServeSecretEventTests : IDisposable
{
    private const string Uuid = "3e9d2c4f-7a51-4b8e-a0c6-5d1f2e3a4b5c";
    private readonly ServeFixture _f = new();
    private KvmstorProcess K => _f.Kvmstor;

    public void Dispose() => _f.Dispose();

    [Fact]
    public void Secret_event_through_the_server_receives_the_changes_of_cli_processes()
    {
        string xml = Path.Combine(K.Root, "secret.xml");
        File.WriteAllText(xml, $"<secret ephemeral='no' private='no'><uuid>{Uuid}</uuid><usage type='iscsi'><target>iqn.2026-01.test:ev</target></usage></secret>");
        var lifecycle = Task.Run(() => _f.Virsh("secret-event", "--event", "lifecycle", "--loop", "--timeout", "6"));
        var value = Task.Run(() => _f.Virsh("secret-event", "--event", "value-changed", "--loop", "--timeout", "6"));
        Thread.Sleep(1500); // both listeners registered

        Assert.Equal(0, K.Run("secret-define", xml).ExitCode);
        // One CLI process, several changes (virsh's ';'-separated command string); a redefinition is Defined again.
        var batch = K.Run($"secret-set-value {Uuid} --base64 c2VjcmV0; secret-define {xml}; secret-set-value {Uuid} --base64 YWdhaW4=");
        Assert.True(batch.ExitCode == 0, batch.Stderr);
        Assert.Equal(0, K.Run("secret-undefine", Uuid).ExitCode);
        // A change the CLI refuses announces nothing.
        Assert.NotEqual(0, K.Run("secret-undefine", Uuid).ExitCode);

        var (code, stdout, stderr) = lifecycle.Result;
        Assert.True(code == 0, stderr);
        Assert.Equal($"event 'lifecycle' for secret {Uuid}: Defined\nevent 'lifecycle' for secret {Uuid}: Defined\n"
                     + $"event 'lifecycle' for secret {Uuid}: Undefined\nevent loop timed out\nevents received: 3\n\n", stdout);
        (code, stdout, stderr) = value.Result;
        Assert.True(code == 0, stderr);
        Assert.Equal($"event 'value-changed' for secret {Uuid}\nevent 'value-changed' for secret {Uuid}\n"
                     + "event loop timed out\nevents received: 2\n\n", stdout);
    }
}
