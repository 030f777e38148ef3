/* The error codes of the CUDA runtime (cudaError_t) and of HIP (hipError_t)
 * by name, so that a failed call reads "35 cudaErrorInsufficientDriver"
 * rather than a bare number. X-macro lists: runtime_codes.c turns them into
 * look-up tables, and runtime_codes_check_{cuda,hip}.c compare every entry
 * with the real headers at build time where they are installed (as the
 * shim's hook signatures are checked), so a renumbered code fails the build.
 * Aliases (a deprecated name for the same number) follow the name in use;
 * the first name of a number is the one shown. */
#ifndef STORMLOG_INSPECT_RUNTIME_CODES_H
#define STORMLOG_INSPECT_RUNTIME_CODES_H

#include <stdint.h>

/* The name of `code` returned by the runtime that `api` belongs to ("cuda..."
 * or "hip..."), or NULL when the code or the runtime is not known. */
const char *runtime_code_name(const char *api, int64_t code);

#define RUNTIME_CODE_TEXT_MAX 96
/* "35 cudaErrorInsufficientDriver", or "35" when the name is not known. */
const char *runtime_code_text(const char *api, int64_t code, char out[RUNTIME_CODE_TEXT_MAX]);

#define STORMLOG_CUDA_RUNTIME_CODES(X) \
    X(cudaSuccess, 0) \
    X(cudaErrorInvalidValue, 1) \
    X(cudaErrorMemoryAllocation, 2) \
    X(cudaErrorInitializationError, 3) \
    X(cudaErrorCudartUnloading, 4) \
    X(cudaErrorProfilerDisabled, 5) \
    X(cudaErrorProfilerNotInitialized, 6) \
    X(cudaErrorProfilerAlreadyStarted, 7) \
    X(cudaErrorProfilerAlreadyStopped, 8) \
    X(cudaErrorInvalidConfiguration, 9) \
    X(cudaErrorInvalidPitchValue, 12) \
    X(cudaErrorInvalidSymbol, 13) \
    X(cudaErrorInvalidHostPointer, 16) \
    X(cudaErrorInvalidDevicePointer, 17) \
    X(cudaErrorInvalidTexture, 18) \
    X(cudaErrorInvalidTextureBinding, 19) \
    X(cudaErrorInvalidChannelDescriptor, 20) \
    X(cudaErrorInvalidMemcpyDirection, 21) \
    X(cudaErrorAddressOfConstant, 22) \
    X(cudaErrorTextureFetchFailed, 23) \
    X(cudaErrorTextureNotBound, 24) \
    X(cudaErrorSynchronizationError, 25) \
    X(cudaErrorInvalidFilterSetting, 26) \
    X(cudaErrorInvalidNormSetting, 27) \
    X(cudaErrorMixedDeviceExecution, 28) \
    X(cudaErrorNotYetImplemented, 31) \
    X(cudaErrorMemoryValueTooLarge, 32) \
    X(cudaErrorStubLibrary, 34) \
    X(cudaErrorInsufficientDriver, 35) \
    X(cudaErrorCallRequiresNewerDriver, 36) \
    X(cudaErrorInvalidSurface, 37) \
    X(cudaErrorDuplicateVariableName, 43) \
    X(cudaErrorDuplicateTextureName, 44) \
    X(cudaErrorDuplicateSurfaceName, 45) \
    X(cudaErrorDevicesUnavailable, 46) \
    X(cudaErrorIncompatibleDriverContext, 49) \
    X(cudaErrorMissingConfiguration, 52) \
    X(cudaErrorPriorLaunchFailure, 53) \
    X(cudaErrorLaunchMaxDepthExceeded, 65) \
    X(cudaErrorLaunchFileScopedTex, 66) \
    X(cudaErrorLaunchFileScopedSurf, 67) \
    X(cudaErrorSyncDepthExceeded, 68) \
    X(cudaErrorLaunchPendingCountExceeded, 69) \
    X(cudaErrorInvalidDeviceFunction, 98) \
    X(cudaErrorNoDevice, 100) \
    X(cudaErrorInvalidDevice, 101) \
    X(cudaErrorDeviceNotLicensed, 102) \
    X(cudaErrorSoftwareValidityNotEstablished, 103) \
    X(cudaErrorStartupFailure, 127) \
    X(cudaErrorInvalidKernelImage, 200) \
    X(cudaErrorDeviceUninitialized, 201) \
    X(cudaErrorMapBufferObjectFailed, 205) \
    X(cudaErrorUnmapBufferObjectFailed, 206) \
    X(cudaErrorArrayIsMapped, 207) \
    X(cudaErrorAlreadyMapped, 208) \
    X(cudaErrorNoKernelImageForDevice, 209) \
    X(cudaErrorAlreadyAcquired, 210) \
    X(cudaErrorNotMapped, 211) \
    X(cudaErrorNotMappedAsArray, 212) \
    X(cudaErrorNotMappedAsPointer, 213) \
    X(cudaErrorECCUncorrectable, 214) \
    X(cudaErrorUnsupportedLimit, 215) \
    X(cudaErrorDeviceAlreadyInUse, 216) \
    X(cudaErrorPeerAccessUnsupported, 217) \
    X(cudaErrorInvalidPtx, 218) \
    X(cudaErrorInvalidGraphicsContext, 219) \
    X(cudaErrorNvlinkUncorrectable, 220) \
    X(cudaErrorJitCompilerNotFound, 221) \
    X(cudaErrorUnsupportedPtxVersion, 222) \
    X(cudaErrorJitCompilationDisabled, 223) \
    X(cudaErrorUnsupportedExecAffinity, 224) \
    X(cudaErrorUnsupportedDevSideSync, 225) \
    X(cudaErrorContained, 226) \
    X(cudaErrorInvalidSource, 300) \
    X(cudaErrorFileNotFound, 301) \
    X(cudaErrorSharedObjectSymbolNotFound, 302) \
    X(cudaErrorSharedObjectInitFailed, 303) \
    X(cudaErrorOperatingSystem, 304) \
    X(cudaErrorInvalidResourceHandle, 400) \
    X(cudaErrorIllegalState, 401) \
    X(cudaErrorLossyQuery, 402) \
    X(cudaErrorSymbolNotFound, 500) \
    X(cudaErrorNotReady, 600) \
    X(cudaErrorIllegalAddress, 700) \
    X(cudaErrorLaunchOutOfResources, 701) \
    X(cudaErrorLaunchTimeout, 702) \
    X(cudaErrorLaunchIncompatibleTexturing, 703) \
    X(cudaErrorPeerAccessAlreadyEnabled, 704) \
    X(cudaErrorPeerAccessNotEnabled, 705) \
    X(cudaErrorSetOnActiveProcess, 708) \
    X(cudaErrorContextIsDestroyed, 709) \
    X(cudaErrorAssert, 710) \
    X(cudaErrorTooManyPeers, 711) \
    X(cudaErrorHostMemoryAlreadyRegistered, 712) \
    X(cudaErrorHostMemoryNotRegistered, 713) \
    X(cudaErrorHardwareStackError, 714) \
    X(cudaErrorIllegalInstruction, 715) \
    X(cudaErrorMisalignedAddress, 716) \
    X(cudaErrorInvalidAddressSpace, 717) \
    X(cudaErrorInvalidPc, 718) \
    X(cudaErrorLaunchFailure, 719) \
    X(cudaErrorCooperativeLaunchTooLarge, 720) \
    X(cudaErrorTensorMemoryLeak, 721) \
    X(cudaErrorNotPermitted, 800) \
    X(cudaErrorNotSupported, 801) \
    X(cudaErrorSystemNotReady, 802) \
    X(cudaErrorSystemDriverMismatch, 803) \
    X(cudaErrorCompatNotSupportedOnDevice, 804) \
    X(cudaErrorMpsConnectionFailed, 805) \
    X(cudaErrorMpsRpcFailure, 806) \
    X(cudaErrorMpsServerNotReady, 807) \
    X(cudaErrorMpsMaxClientsReached, 808) \
    X(cudaErrorMpsMaxConnectionsReached, 809) \
    X(cudaErrorMpsClientTerminated, 810) \
    X(cudaErrorCdpNotSupported, 811) \
    X(cudaErrorCdpVersionMismatch, 812) \
    X(cudaErrorStreamCaptureUnsupported, 900) \
    X(cudaErrorStreamCaptureInvalidated, 901) \
    X(cudaErrorStreamCaptureMerge, 902) \
    X(cudaErrorStreamCaptureUnmatched, 903) \
    X(cudaErrorStreamCaptureUnjoined, 904) \
    X(cudaErrorStreamCaptureIsolation, 905) \
    X(cudaErrorStreamCaptureImplicit, 906) \
    X(cudaErrorCapturedEvent, 907) \
    X(cudaErrorStreamCaptureWrongThread, 908) \
    X(cudaErrorTimeout, 909) \
    X(cudaErrorGraphExecUpdateFailure, 910) \
    X(cudaErrorExternalDevice, 911) \
    X(cudaErrorInvalidClusterSize, 912) \
    X(cudaErrorFunctionNotLoaded, 913) \
    X(cudaErrorInvalidResourceType, 914) \
    X(cudaErrorInvalidResourceConfiguration, 915) \
    X(cudaErrorUnknown, 999)

#define STORMLOG_HIP_RUNTIME_CODES(X) \
    X(hipSuccess, 0) \
    X(hipErrorInvalidValue, 1) \
    X(hipErrorOutOfMemory, 2) \
    X(hipErrorMemoryAllocation, 2) \
    X(hipErrorNotInitialized, 3) \
    X(hipErrorInitializationError, 3) \
    X(hipErrorDeinitialized, 4) \
    X(hipErrorProfilerDisabled, 5) \
    X(hipErrorProfilerNotInitialized, 6) \
    X(hipErrorProfilerAlreadyStarted, 7) \
    X(hipErrorProfilerAlreadyStopped, 8) \
    X(hipErrorInvalidConfiguration, 9) \
    X(hipErrorInvalidPitchValue, 12) \
    X(hipErrorInvalidSymbol, 13) \
    X(hipErrorInvalidDevicePointer, 17) \
    X(hipErrorInvalidMemcpyDirection, 21) \
    X(hipErrorInsufficientDriver, 35) \
    X(hipErrorMissingConfiguration, 52) \
    X(hipErrorPriorLaunchFailure, 53) \
    X(hipErrorInvalidDeviceFunction, 98) \
    X(hipErrorNoDevice, 100) \
    X(hipErrorInvalidDevice, 101) \
    X(hipErrorInvalidImage, 200) \
    X(hipErrorInvalidContext, 201) \
    X(hipErrorContextAlreadyCurrent, 202) \
    X(hipErrorMapFailed, 205) \
    X(hipErrorMapBufferObjectFailed, 205) \
    X(hipErrorUnmapFailed, 206) \
    X(hipErrorArrayIsMapped, 207) \
    X(hipErrorAlreadyMapped, 208) \
    X(hipErrorNoBinaryForGpu, 209) \
    X(hipErrorAlreadyAcquired, 210) \
    X(hipErrorNotMapped, 211) \
    X(hipErrorNotMappedAsArray, 212) \
    X(hipErrorNotMappedAsPointer, 213) \
    X(hipErrorECCNotCorrectable, 214) \
    X(hipErrorUnsupportedLimit, 215) \
    X(hipErrorContextAlreadyInUse, 216) \
    X(hipErrorPeerAccessUnsupported, 217) \
    X(hipErrorInvalidKernelFile, 218) \
    X(hipErrorInvalidGraphicsContext, 219) \
    X(hipErrorInvalidSource, 300) \
    X(hipErrorFileNotFound, 301) \
    X(hipErrorSharedObjectSymbolNotFound, 302) \
    X(hipErrorSharedObjectInitFailed, 303) \
    X(hipErrorOperatingSystem, 304) \
    X(hipErrorInvalidHandle, 400) \
    X(hipErrorInvalidResourceHandle, 400) \
    X(hipErrorIllegalState, 401) \
    X(hipErrorNotFound, 500) \
    X(hipErrorNotReady, 600) \
    X(hipErrorIllegalAddress, 700) \
    X(hipErrorLaunchOutOfResources, 701) \
    X(hipErrorLaunchTimeOut, 702) \
    X(hipErrorSetOnActiveProcess, 708) \
    X(hipErrorContextIsDestroyed, 709) \
    X(hipErrorAssert, 710) \
    X(hipErrorNotSupported, 801) \
    X(hipErrorStreamCaptureUnsupported, 900) \
    X(hipErrorStreamCaptureInvalidated, 901) \
    X(hipErrorStreamCaptureMerge, 902) \
    X(hipErrorStreamCaptureUnmatched, 903) \
    X(hipErrorStreamCaptureUnjoined, 904) \
    X(hipErrorStreamCaptureIsolation, 905) \
    X(hipErrorStreamCaptureImplicit, 906) \
    X(hipErrorCapturedEvent, 907) \
    X(hipErrorStreamCaptureWrongThread, 908) \
    X(hipErrorGraphExecUpdateFailure, 910) \
    X(hipErrorUnknown, 999) \
    X(hipErrorRuntimeMemory, 1052) \
    X(hipErrorRuntimeOther, 1053)

#endif
