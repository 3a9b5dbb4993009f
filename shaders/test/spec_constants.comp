#version 450
// Host runtime test: writes its specialization constants (and the specialized workgroup size)
// so the test can check that each pipeline got the values it asked for.
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint kUint = 7u;
layout(constant_id = 2) const float kFloat = 1.5;
layout(constant_id = 3) const int kInt = -3;
layout(std430, binding = 0) writeonly buffer Out { uint o[]; };

void main() {
  if (gl_GlobalInvocationID.x == 0) {
    o[0] = kUint;
    o[1] = floatBitsToUint(kFloat);
    o[2] = uint(kInt);
    o[3] = gl_WorkGroupSize.x;
    o[4] = gl_NumWorkGroups.x;
  }
}
