namespace KvmStor.IntegrationTests.Server;

/// <summary>
/// A hostile-but-legal libvirt client in python3, speaking the wire protocol by hand (libvirt's own client library
/// would not misbehave this way): holds many connections, pipelines calls without reading replies, or registers for
/// events and never reads them. Each mode prints one result line, then waits for its standard input to close.
/// </summary>
internal static class RawRpcScript
{
    public const string Source = """
        import select, socket, struct, sys, threading

        PROG = 0x20008086

        def call(proc, serial, payload=b''):
            return struct.pack('>IIIiiIi', 28 + len(payload), PROG, 1, proc, 0, serial, 0) + payload

        def xdr_string(text):
            b = text.encode()
            return struct.pack('>I', len(b)) + b + b'\0' * ((4 - len(b) % 4) % 4)

        def recv_all(s, n):
            data = b''
            while len(data) < n:
                chunk = s.recv(n - len(data))
                if not chunk:
                    raise EOFError()
                data += chunk
            return data

        def read_packet(s):
            length = struct.unpack('>I', recv_all(s, 4))[0]
            rest = recv_all(s, length - 4)
            return struct.unpack('>IIiiIi', rest[:24]), rest[24:]

        def open_connection(path):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(10)
            s.connect(path)
            s.sendall(call(66, 0))
            read_packet(s)
            s.sendall(call(1, 1, struct.pack('>I', 1) + xdr_string('storage:///system') + struct.pack('>I', 0)))
            header, _ = read_packet(s)
            if header[5] != 0:
                raise RuntimeError('open refused')
            return s

        def wait_for_stdin():
            sys.stdout.flush()
            sys.stdin.read()

        mode, path = sys.argv[1], sys.argv[2]
        if mode == 'hold':
            held, closed = [], 0
            for _ in range(int(sys.argv[3])):
                try:
                    held.append(open_connection(path))
                except (EOFError, ConnectionError, socket.timeout):
                    closed += 1
            print('held', len(held), 'closed', closed)
            wait_for_stdin()
        elif mode == 'pipeline':
            s = open_connection(path)
            s.setblocking(False)
            calls = b''.join(call(3, serial) for serial in range(100, 300100))
            offset = 0
            # Until the socket takes nothing for three seconds: the server has stopped reading.
            while offset < len(calls):
                try:
                    offset += s.send(calls[offset:offset + 65536])
                except BlockingIOError:
                    if not select.select([], [s], [], 3)[1]:
                        break
            print('sent', offset // 28, 'bytes', offset)
            wait_for_stdin()
            s.setblocking(True)
            s.settimeout(60)
            if offset % 28:
                # The last call went out in part. The server reads its rest only once its replies drain, so it is
                # sent beside the reading below: sent first, it would wait on a full socket for ever.
                rest = calls[offset:offset + 28 - offset % 28]
                threading.Thread(target=s.sendall, args=(rest,), daemon=True).start()
            serials = set()
            for _ in range((offset + 27) // 28):
                header, _ = read_packet(s)
                if header[5] == 0:
                    serials.add(header[4])
            print('answered', len(serials))
        elif mode == 'deaf':
            s = open_connection(path)
            s.sendall(call(380, 2, struct.pack('>iI', int(sys.argv[3]), 0)))
            read_packet(s)
            print('registered')
            wait_for_stdin()
            events = 0
            try:
                while True:
                    header, _ = read_packet(s)
                    if header[2] in (382, 383):
                        events += 1
            except (EOFError, ConnectionError, socket.timeout) as e:
                print('events', events, 'end', type(e).__name__)
        """;
}
