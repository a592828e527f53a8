using KvmStor.Model;
using KvmStor.Server.Dispatch;
using KvmStor.Server.Protocol;
using KvmStor.Server.Streams;
using KvmStor.Server.Xdr;
using static KvmStor.Server.Procedures.ObjectHandles;

namespace KvmStor.Server.Procedures;

/// <summary>
/// vol-upload and vol-download (§6): the call is answered first, then the data flows as STREAM packets of the call's
/// serial while the engine transfers. A client that aborts or disappears cancels the engine's operation, which
/// releases its locks; errors inside the stream go out as STREAM/ERROR under the STREAMS domain.
/// </summary>
public static class StreamProcedures
{
    private const int Upload = 208, Download = 209;
    private const uint SparseStream = 1;

    public static IEnumerable<Procedure> All =>
    [
        new(Upload, "virStorageVolUpload", ProcedureFamily.Storage, RunUpload, Changes: true),
        new(Download, "virStorageVolDownload", ProcedureFamily.Storage, RunDownload, Changes: true),
    ];

    private static (KvmStor.Engine.VolumeHandle Volume, TransferRange Range) ReadArgs(CallContext call, string function)
    {
        var volume = ReadVolume(call);
        ulong offset = call.Args.ReadUHyper();
        ulong length = call.Args.ReadUHyper();
        uint flags = call.Args.ReadUInt();
        call.CheckFlags(flags, SparseStream, function);
        return (volume, new TransferRange(offset, length, (flags & SparseStream) != 0));
    }

    private static void RunUpload(CallContext call)
    {
        var (volume, range) = ReadArgs(call, "storageVolUpload");
        using var transfer = new UploadTransfer(call.Connection, call.Header, range.Sparse);
        if (!call.Connection.RegisterStream(call.Header.Serial, transfer))
            throw new RpcFault(RemoteError.Rpc($"a stream with serial {call.Header.Serial} is already open"));
        try
        {
            call.ReplyNow();
            try
            {
                call.Host.Volumes.Upload(volume, transfer.Source, range, null, transfer.Cancel);
                Confirm(call);
            }
            catch (OperationCanceledException) when (transfer.Aborted)
            {
                Confirm(call);
            }
            catch (OperationCanceledException) { } // the client is gone
            catch (StorageException e)
            {
                if (transfer.Aborted) Confirm(call);
                else SendStreamError(call, EngineErrors.ToRemote(e, ErrorDomains.Streams));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                SendStreamError(call, RemoteError.Make(ErrorNumbers.SystemError, ErrorDomains.Streams, "", e.Message));
            }
        }
        finally
        {
            transfer.Close();
            call.Connection.UnregisterStream(call.Header.Serial, transfer);
        }
    }

    private static void RunDownload(CallContext call)
    {
        var (volume, range) = ReadArgs(call, "storageVolDownload");
        using var transfer = new DownloadTransfer(call.Connection, call.Header, range.Sparse);
        if (!call.Connection.RegisterStream(call.Header.Serial, transfer))
            throw new RpcFault(RemoteError.Rpc($"a stream with serial {call.Header.Serial} is already open"));
        try
        {
            call.ReplyNow();
            try
            {
                call.Host.Volumes.Download(volume, transfer.Destination, range, null, transfer.Cancel);
                transfer.SendEnd();
                // The finish handshake: the client's STREAM/OK (or an abort), then ours.
                transfer.Ended.Wait(transfer.Cancel);
                Confirm(call);
            }
            catch (OperationCanceledException) when (transfer.Aborted)
            {
                Confirm(call);
            }
            catch (OperationCanceledException) { }
            catch (AggregateException) when (transfer.Aborted) { Confirm(call); }
            catch (StorageException e)
            {
                if (transfer.Aborted) Confirm(call);
                else SendStreamError(call, EngineErrors.ToRemote(e, ErrorDomains.Streams));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                SendStreamError(call, RemoteError.Make(ErrorNumbers.SystemError, ErrorDomains.Streams, "", e.Message));
            }
        }
        finally
        {
            call.Connection.UnregisterStream(call.Header.Serial, transfer);
        }
    }

    /// <summary>STREAM/OK with no payload: the finish (or the abort) is confirmed.</summary>
    private static void Confirm(CallContext call) =>
        call.Connection.Send(new Packet(call.Header.Answer(MessageType.Stream, MessageStatus.Ok), ReadOnlyMemory<byte>.Empty));

    private static void SendStreamError(CallContext call, RemoteError error)
    {
        var w = new XdrWriter();
        error.Encode(w);
        call.Connection.Send(new Packet(call.Header.Answer(MessageType.Stream, MessageStatus.Error), w.WrittenMemory.ToArray()));
    }
}
