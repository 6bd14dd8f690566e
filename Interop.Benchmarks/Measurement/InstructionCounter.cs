namespace Interop.Benchmarks;

/// <summary>
/// Counts the instructions of one call under callgrind without start-up cost. After a warm-up (every method compiled,
/// libtorch's lazily made state made), pairs of blocks of n and 5n calls are counted, each block from an empty gen0 to
/// a full collection with finalizers run, so that the garbage it leaves, and the finalizers that garbage needs, are paid
/// inside the block that made it. Each pair gives (longer − shorter) / 4n: what the two blocks share (collecting the
/// live heap, the zero and dump requests) cancels.
/// </summary>
/// <remarks>
/// One block's count is exact, but the same calls cost a little more or less depending on where the C heap and the
/// graph nodes happen to lie: glibc's malloc walks different bins, and libtorch's autograd engine keeps nodes in hash
/// tables keyed by address. Those addresses drift as a process runs and differ between processes, so the pairs' figures
/// scatter by a few tenths of a percent; their median is the figure reported, and the lowest and highest are kept.
/// </remarks>
public static class InstructionCounter
{
    /// <summary>
    /// Counts <paramref name="call"/> in <paramref name="pairs"/> pairs of blocks, <paramref name="calls"/> calls in
    /// each longer block.
    /// </summary>
    public static InstructionCount PerCall(Action call, int calls, int pairs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(calls, 5);
        ArgumentOutOfRangeException.ThrowIfLessThan(pairs, 1);
        for (int i = 0; i < 20; i++)
            call();
        Block(call, calls / 5); // compiles and settles the measuring code too, whose first run costs more
        double difference = calls - calls / 5;
        var figures = new double[pairs];
        double allocated = 0;
        for (int pair = 0; pair < pairs; pair++)
        {
            var shorter = Block(call, calls / 5);
            var longer = Block(call, calls);
            figures[pair] = (longer.Instructions - shorter.Instructions) / difference;
            allocated = (longer.Allocated - shorter.Allocated) / difference;
        }
        Array.Sort(figures);
        double median = pairs % 2 == 1 ? figures[pairs / 2] : (figures[pairs / 2 - 1] + figures[pairs / 2]) / 2;
        return new InstructionCount(median, figures[0], figures[^1], allocated, calls, pairs);
    }

    private static (long Instructions, long Allocated) Block(Action call, int calls)
    {
        CollectEverything();
        int collectionsBefore = GC.CollectionCount(0);
        long allocated = 0;
        long instructions = Callgrind.Instructions(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < calls; i++)
                call();
            CollectEverything();
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        });
        // A collection that the allocation budget started inside the block would land in one block of a pair and not
        // in the other, and the difference would no longer be per call; CollectEverything makes exactly two.
        int collections = GC.CollectionCount(0) - collectionsBefore;
        if (collections != 2)
            throw new InvalidOperationException($"{collections - 2} garbage collection(s) started inside a block of {calls} calls: raise DOTNET_GCgen0size.");
        return (instructions, allocated);
    }

    /// <summary>Collects every generation, runs the finalizers of what it found, and collects what they released.</summary>
    private static void CollectEverything()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
