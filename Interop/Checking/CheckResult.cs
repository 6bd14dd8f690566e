namespace Interop.Checking;

/// <summary>
/// A property of the backward that a report checks besides the Jacobians: that two runs agree (reentrancy), that a
/// zero grad_output gives zero gradients, that gradients have their inputs' shapes and dtypes, or (for compare) that
/// the two forward passes agree.
/// </summary>
/// <param name="Name">What was checked, e.g. <c>backward is reentrant</c>.</param>
/// <param name="Passed">Whether it holds.</param>
/// <param name="Detail">The measurement behind the verdict, e.g. <c>two runs differ by at most 0 (nondet_tol 0)</c>.</param>
public sealed record CheckResult(string Name, bool Passed, string Detail);
