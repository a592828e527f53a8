using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KvmStor.IntegrationTests.Cockpit;

/// <summary>
/// A small Chrome DevTools Protocol client for one page of a headless Chromium: navigate, evaluate JavaScript (its value
/// returned as JSON), wait for a DOM condition, screenshot. Connections are made by <paramref name="connect"/> so the
/// browser may live in another network namespace.
/// </summary>
public sealed class DevToolsPage : IAsyncDisposable, IDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly HttpMessageInvoker _invoker;
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonObject>> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;
    private int _nextId;

    /// <summary>Console messages and uncaught exceptions of the page, in order.</summary>
    public ConcurrentQueue<string> Console { get; } = new();

    private DevToolsPage(ClientWebSocket socket, HttpMessageInvoker invoker)
    {
        _socket = socket;
        _invoker = invoker;
        _reader = Task.Run(ReadLoop);
    }

    /// <summary>Attaches to the first page target of the browser whose DevTools listen on <paramref name="port"/>.</summary>
    public static DevToolsPage Attach(int port, Func<int, Socket> connect, TimeSpan limit)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = (_, _) => ValueTask.FromResult<Stream>(new NetworkStream(connect(port), ownsSocket: true)),
            UseProxy = false,
        };
        var invoker = new HttpMessageInvoker(handler);
        string? debuggerUrl = null;
        Deadline.WaitUntil(limit, $"Chromium's DevTools on port {port}", () =>
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/json/list");
                using var response = invoker.Send(request, CancellationToken.None);
                var targets = JsonNode.Parse(response.Content.ReadAsStream())!.AsArray();
                debuggerUrl = targets.FirstOrDefault(t => (string?)t!["type"] == "page")?["webSocketDebuggerUrl"]?.GetValue<string>();
                return debuggerUrl is not null;
            }
            catch (HttpRequestException) { return false; }
            catch (SocketException) { return false; }
        });
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        socket.ConnectAsync(new Uri(debuggerUrl!), invoker, CancellationToken.None).GetAwaiter().GetResult();
        var page = new DevToolsPage(socket, invoker);
        page.Call("Runtime.enable");
        page.Call("Page.enable");
        return page;
    }

    /// <summary>Sends one command and waits for its result (the "result" object).</summary>
    public JsonObject Call(string method, JsonObject? parameters = null, TimeSpan? limit = null)
    {
        int id = Interlocked.Increment(ref _nextId);
        var reply = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        byte[] bytes = Encoding.UTF8.GetBytes(message.ToJsonString());
        lock (_socket) _socket.SendAsync(bytes, WebSocketMessageType.Text, true, CancellationToken.None).GetAwaiter().GetResult();
        if (!reply.Task.Wait(limit ?? TimeSpan.FromSeconds(120)))
            throw new TimeoutException($"DevTools {method} got no answer");
        var answer = reply.Task.Result;
        if (answer["error"] is { } error) throw new InvalidOperationException($"DevTools {method}: {error.ToJsonString()}");
        return answer["result"]?.AsObject() ?? new JsonObject();
    }

    /// <summary>Evaluates <paramref name="expression"/> in the page (promises awaited) and returns its value as JSON.</summary>
    public JsonNode? Evaluate(string expression)
    {
        var result = Call("Runtime.evaluate", new JsonObject
        {
            ["expression"] = expression, ["awaitPromise"] = true, ["returnByValue"] = true,
        });
        if (result["exceptionDetails"] is { } details)
            throw new JavaScriptException(expression, details["exception"]?["description"]?.GetValue<string>() ?? details.ToJsonString());
        return result["result"]?["value"]?.DeepClone();
    }

    public string Text(string expression) => Evaluate(expression)?.GetValue<string>() ?? throw new InvalidOperationException($"{expression} gave no text");

    public bool Bool(string expression) => Evaluate(expression)?.GetValue<bool>() == true;

    /// <summary>Polls <paramref name="condition"/> until it is true; a script error while the page changes counts as false.</summary>
    public void WaitFor(string condition, string what, TimeSpan? limit = null)
    {
        var span = limit ?? TimeSpan.FromSeconds(60);
        Deadline.WaitUntil(span, what, () =>
        {
            try { return Bool(condition); }
            catch (JavaScriptException) { return false; }
        });
    }

    public void Navigate(string url) => Call("Page.navigate", new JsonObject { ["url"] = url });

    public void Screenshot(string path)
    {
        var result = Call("Page.captureScreenshot", new JsonObject { ["format"] = "png" });
        File.WriteAllBytes(path, Convert.FromBase64String(result["data"]!.GetValue<string>()));
    }

    private async Task ReadLoop()
    {
        var buffer = new byte[1 << 16];
        var message = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested && _socket.State == WebSocketState.Open)
            {
                var received = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (received.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, received.Count);
                if (!received.EndOfMessage) continue;
                var node = JsonNode.Parse(message.ToArray())!.AsObject();
                message.SetLength(0);
                if (node["id"] is { } id && _pending.TryRemove(id.GetValue<int>(), out var waiter)) waiter.SetResult(node);
                else Record(node);
            }
        }
        catch (OperationCanceledException) { }
        catch (WebSocketException) { }
        foreach (var waiter in _pending.Values) waiter.TrySetException(new InvalidOperationException("the DevTools connection closed"));
    }

    private void Record(JsonObject ev)
    {
        switch ((string?)ev["method"])
        {
            case "Runtime.consoleAPICalled":
                var args = ev["params"]!["args"]!.AsArray().Select(a => a?["value"]?.ToString() ?? a?["description"]?.ToString() ?? "");
                Console.Enqueue($"{ev["params"]!["type"]}: {string.Join(' ', args)}");
                break;
            case "Runtime.exceptionThrown":
                Console.Enqueue("exception: " + ev["params"]!["exceptionDetails"]!.ToJsonString());
                break;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { await _reader.WaitAsync(TimeSpan.FromSeconds(5)); } catch (TimeoutException) { }
        _socket.Dispose();
        _invoker.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}

public sealed class JavaScriptException(string expression, string message) : Exception($"{message} (in: {expression})");
