using CCApi.Emulators;

namespace CCApi.Testing.Adapters;

/// <summary>A host whose adapter calls an emulator standing in for its provider (what the upstream test classes need).</summary>
public interface IEmulatedAdapterHost
{
    Emulator Emulator { get; }
}
