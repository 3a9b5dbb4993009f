// Compiled into every test executable that links m2vk_test_common (an INTERFACE source), so it
// applies however the test is started (ctest, by hand, a debugger).
//
// LeakSanitizer is turned off: the Vulkan loader unloads the ICD (lavapipe, LLVM) and the
// validation layer at vkDestroyInstance, and their process-lifetime allocations then show up as
// leaks from "<unknown module>" that can be neither symbolized nor suppressed. tests/CMakeLists.txt
// asks for the same (ASAN_OPTIONS=detect_leaks=0); AddressSanitizer's other checks and UBSan
// stay on.
extern "C" const char* __asan_default_options();  // NOLINT: the ASan runtime looks this symbol up
extern "C" const char* __asan_default_options() { return "detect_leaks=0"; }
