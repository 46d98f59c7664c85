// The side of the face crops r3an stores and the generator draws (the paper's 56×56): the one size
// shared by extraction, feature sets, the networks, training and the report.
export const FACE_SIZE = 56;
