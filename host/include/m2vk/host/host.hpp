// Umbrella header of the host runtime (m2vk_host). See host/README.md.
#pragma once

#include "m2vk/host/buffer.hpp"
#include "m2vk/host/context.hpp"
#include "m2vk/host/device_info.hpp"
#include "m2vk/host/error.hpp"
#include "m2vk/host/pipeline.hpp"
#include "m2vk/host/recorder.hpp"
