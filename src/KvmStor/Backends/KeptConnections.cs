using System.Security.Cryptography;

namespace KvmStor.Backends;

/// <summary>
/// Connections kept between calls, one per key (a pool's source: servers, names, user). A kvmstor command is one
/// process and uses a connection for one command; `kvmstor serve` lives long and reuses it for every call on the pool.
/// <para>
/// Each key's connection carries the fingerprint of the credential it was made with: a call that brings another one
/// (the secret's value changed, maybe in another kvmstor process) gets a new connection and the old one is retired.
/// A connection is also retired when the engine forgets it (pool stopped, undefined, redefined), when a call on it
/// failed with a connection error or timed out (see <see cref="IKeptConnection.State"/>), and when it was not used for
/// <see cref="IdleLimit"/> (a pool stopped by another process gets no more calls here). A retired connection serves no
/// new call; it is closed once the calls still using it are done, except an abandoned one, which is never closed.
/// </para>
/// <para>
/// Thread-safe. Connecting happens outside the lock: calls on other keys never wait for it, and calls on the same key
/// that arrive meanwhile wait for that one attempt (bounded by the connect itself) instead of each making their own.
/// </para>
/// </summary>
internal sealed class KeptConnections<T> where T : class, IKeptConnection
{
    /// <summary>One connect, run by the first call that needs it; calls arriving meanwhile wait for it and share its outcome.</summary>
    internal sealed class Attempt(Func<T> connect)
    {
        private readonly object _running = new();
        private T? _value;
        private System.Runtime.ExceptionServices.ExceptionDispatchInfo? _failure;
        private volatile bool _done;

        /// <summary>Whether it finished with a connection (not still running, not failed).</summary>
        public bool IsValueCreated => _done && _failure is null;

        public T Value
        {
            get
            {
                if (!_done)
                    lock (_running)
                        if (!_done)
                        {
                            try { _value = connect(); }
                            catch (Exception e) { _failure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e); }
                            _done = true;
                        }
                _failure?.Throw();
                return _value!;
            }
        }
    }

    internal sealed class Entry(byte[] fingerprint, Attempt connecting)
    {
        public byte[] Fingerprint { get; } = fingerprint;
        public Attempt Connecting { get; } = connecting;
        public int Calls;
        public bool Retired;
        public bool Closed;
        public long LastUsed;
    }

    private readonly object _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public KeptConnections(TimeSpan idleLimit, TimeProvider? time = null)
    {
        IdleLimit = idleLimit;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>An unused connection older than this is closed at the next call for any key.</summary>
    public TimeSpan IdleLimit { get; }

    /// <summary>Keys with a live (not retired) connection or a connection being made.</summary>
    public IReadOnlyList<string> Keys
    {
        get { lock (_gate) return [.. _entries.Keys]; }
    }

    /// <summary>
    /// The connection for <paramref name="key"/>, made by <paramref name="connect"/> unless a healthy one made with the
    /// same <paramref name="fingerprint"/> is kept. Dispose the lease when the call is done with it.
    /// </summary>
    public Lease Acquire(string key, byte[] fingerprint, Func<T> connect)
    {
        Entry entry;
        var closing = new List<Entry>();
        lock (_gate)
        {
            RetireIdle(closing);
            if (!_entries.TryGetValue(key, out entry!) || !CryptographicOperations.FixedTimeEquals(entry.Fingerprint, fingerprint)
                || IsUnusable(entry))
            {
                if (entry is not null) Retire(key, entry, closing);
                entry = new Entry(fingerprint, new Attempt(connect));
                _entries[key] = entry;
            }
            entry.Calls++;
            entry.LastUsed = _time.GetTimestamp();
        }
        CloseAll(closing);
        try
        {
            _ = entry.Connecting.Value;
        }
        catch
        {
            // A failed attempt is not kept: the next call tries again (the connect cleaned up after itself).
            lock (_gate)
            {
                entry.Calls--;
                if (_entries.TryGetValue(key, out var current) && current == entry) _entries.Remove(key);
                entry.Retired = true;
            }
            throw;
        }
        return new Lease(this, key, entry);
    }

    /// <summary>Retires <paramref name="key"/>'s connection (closed now if unused), unless it was made with <paramref name="unlessFingerprint"/>.</summary>
    public void Retire(string key, byte[]? unlessFingerprint = null)
    {
        var closing = new List<Entry>();
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out var entry)) return;
            if (unlessFingerprint is not null && CryptographicOperations.FixedTimeEquals(entry.Fingerprint, unlessFingerprint)) return;
            Retire(key, entry, closing);
        }
        CloseAll(closing);
    }

    /// <summary>One call's use of a connection; disposing it ends the use (and closes a retired connection it was the last user of).</summary>
    public sealed class Lease : IDisposable
    {
        private readonly KeptConnections<T> _owner;
        private readonly string _key;
        private readonly Entry _entry;
        private int _disposed;

        internal Lease(KeptConnections<T> owner, string key, Entry entry)
        {
            _owner = owner;
            _key = key;
            _entry = entry;
        }

        public T Connection => _entry.Connecting.Value;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) _owner.Release(_key, _entry);
        }
    }

    private void Release(string key, Entry entry)
    {
        var closing = new List<Entry>();
        lock (_gate)
        {
            entry.Calls--;
            entry.LastUsed = _time.GetTimestamp();
            if (!entry.Retired && IsUnusable(entry)) Retire(key, entry, closing);
            else if (entry.Retired) CloseIfDone(entry, closing);
        }
        CloseAll(closing);
    }

    private static bool IsUnusable(Entry entry) =>
        entry.Connecting.IsValueCreated && entry.Connecting.Value.State != KeptConnectionState.Healthy;

    /// <summary>Under the lock: takes the entry out of service; it is closed when its last call is done.</summary>
    private void Retire(string key, Entry entry, List<Entry> closing)
    {
        if (_entries.TryGetValue(key, out var current) && current == entry) _entries.Remove(key);
        entry.Retired = true;
        CloseIfDone(entry, closing);
    }

    private static void CloseIfDone(Entry entry, List<Entry> closing)
    {
        if (entry.Calls > 0 || entry.Closed || !entry.Connecting.IsValueCreated) return;
        if (entry.Connecting.Value.State == KeptConnectionState.Abandoned) return;
        entry.Closed = true;
        closing.Add(entry);
    }

    private void RetireIdle(List<Entry> closing)
    {
        long now = _time.GetTimestamp();
        foreach (var (key, entry) in _entries.ToList())
            if (entry.Calls == 0 && _time.GetElapsedTime(entry.LastUsed, now) > IdleLimit)
                Retire(key, entry, closing);
    }

    /// <summary>Outside the lock: closing may take a moment (the connection's own bound applies).</summary>
    private static void CloseAll(List<Entry> closing)
    {
        foreach (var entry in closing) entry.Connecting.Value.Close();
    }
}
