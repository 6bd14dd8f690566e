using System.Buffers.Binary;
using System.Text;

namespace Interop.Native;

/// <summary>
/// One entry of an ELF shared object's <c>.gnu.version_r</c> section: "this object needs version
/// <see cref="Version"/> of <see cref="File"/>".
/// </summary>
/// <param name="File">The needed library, as named in the entry (for example <c>libstdc++.so.6</c>).</param>
/// <param name="Version">The needed version name (for example <c>GLIBCXX_3.4.32</c>).</param>
/// <param name="Index">The version index that <c>.gnu.version</c> uses to bind symbols to this need.</param>
/// <param name="Flags">The entry's <c>vna_flags</c>; <see cref="ElfImage.WeakVersionFlag"/> marks a weak need.</param>
/// <param name="FlagsOffset">The file offset of <c>vna_flags</c>, for patching.</param>
public sealed record ElfVersionNeed(string File, string Version, int Index, ushort Flags, long FlagsOffset)
{
    /// <summary>Whether the dynamic loader treats a missing version as a warning rather than an error.</summary>
    public bool IsWeak => (Flags & ElfImage.WeakVersionFlag) != 0;
}

/// <summary>
/// A read-only view of the parts of a 64-bit little-endian ELF shared object that symbol versioning uses:
/// the versions it needs, the versions it defines, and which dynamic symbols are bound to which version;
/// and, through <see cref="NeededLibraries"/>, the libraries it needs.
/// </summary>
/// <remarks>
/// This is just enough ELF to decide whether a library will load against the host's libstdc++, to relax one
/// version need, and to load a library's dependencies in order; it reads section headers and never executes
/// or relocates anything.
/// </remarks>
public sealed class ElfImage
{
    /// <summary><c>VER_FLG_WEAK</c>: a version need the loader may do without.</summary>
    public const ushort WeakVersionFlag = 0x2;

    private const uint SectionDynamic = 6;
    private const uint SectionDynamicSymbols = 11;
    private const uint SectionVersionDefinitions = 0x6ffffffd;
    private const uint SectionVersionNeeds = 0x6ffffffe;
    private const uint SectionVersionSymbols = 0x6fffffff;
    private const int SectionHeaderSize = 64;
    private const int SymbolSize = 24;
    private const int DynamicEntrySize = 16;
    private const long DynamicTagNull = 0;
    private const long DynamicTagNeeded = 1;

    private readonly byte[] _bytes;
    private readonly Section[] _sections;
    private readonly string _name;

    private readonly record struct Section(uint Type, long Offset, long Size, int Link, int Info);

    private ElfImage(byte[] bytes, Section[] sections, string name)
    {
        _bytes = bytes;
        _sections = sections;
        _name = name;
    }

    /// <summary>Reads an ELF image from a file.</summary>
    /// <exception cref="InvalidDataException">The file is not a 64-bit little-endian ELF object, or is truncated.</exception>
    public static ElfImage Load(string path) => Parse(File.ReadAllBytes(path), path);

    /// <summary>Reads an ELF image from bytes; <paramref name="name"/> appears in error messages.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a 64-bit little-endian ELF object, or are truncated.</exception>
    public static ElfImage Parse(byte[] bytes, string name = "image")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var (headersOffset, headerSize, count) = ReadFileHeader(bytes, name);
        var sections = new Section[count];
        for (int i = 0; i < count; i++)
        {
            long at = headersOffset + (long)i * headerSize;
            RequireRange(bytes.Length, at, SectionHeaderSize, name, "section header");
            sections[i] = ReadSectionHeader(bytes.AsSpan((int)at), name);
        }
        foreach (var section in sections)
            if (section.Type is SectionDynamicSymbols or SectionVersionDefinitions or SectionVersionNeeds or SectionVersionSymbols)
                RequireRange(bytes.Length, section.Offset, section.Size, name, "section");
        return new ElfImage(bytes, sections, name);
    }

    /// <summary>
    /// The libraries a shared object names in its <c>DT_NEEDED</c> entries, in order: what the dynamic loader loads with it.
    /// </summary>
    /// <remarks>
    /// Reads only the file header, the section headers, the dynamic section and its string table, so that it costs a few
    /// kilobytes of reading even on libtorch's half-gigabyte <c>libtorch_cpu.so</c>.
    /// </remarks>
    /// <exception cref="InvalidDataException">The file is not a 64-bit little-endian ELF object, or is truncated.</exception>
    public static IReadOnlyList<string> NeededLibraries(string path)
    {
        using var file = File.OpenHandle(path);
        long length = RandomAccess.GetLength(file);
        var (headersOffset, headerSize, count) = ReadFileHeader(ReadAt(file, length, 0, Math.Min(64, length), path, "file header"), path);
        byte[] headers = ReadAt(file, length, headersOffset, (long)headerSize * count, path, "section header table");
        var sections = Enumerable.Range(0, count).Select(i => ReadSectionHeader(headers.AsSpan(i * headerSize), path)).ToArray();

        var needed = new List<string>();
        if (sections.FirstOrDefault(section => section.Type == SectionDynamic) is not { Type: SectionDynamic } dynamic)
            return needed;
        if (dynamic.Link <= 0 || dynamic.Link >= count)
            throw new InvalidDataException($"{path}: the dynamic section links string table {dynamic.Link}, but the file has {count} sections.");
        var strings = sections[dynamic.Link];
        byte[] entries = ReadAt(file, length, dynamic.Offset, dynamic.Size, path, "dynamic section");
        byte[] names = ReadAt(file, length, strings.Offset, strings.Size, path, "dynamic string table");
        for (int at = 0; at + DynamicEntrySize <= entries.Length; at += DynamicEntrySize)
        {
            long tag = BinaryPrimitives.ReadInt64LittleEndian(entries.AsSpan(at));
            if (tag == DynamicTagNull)
                break;
            if (tag == DynamicTagNeeded)
                needed.Add(ReadCString(names, BinaryPrimitives.ReadUInt64LittleEndian(entries.AsSpan(at + 8)), path));
        }
        return needed;
    }

    private static (long HeadersOffset, int HeaderSize, int Count) ReadFileHeader(ReadOnlySpan<byte> bytes, string name)
    {
        if (bytes.Length < 64 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F')
            throw new InvalidDataException($"{name}: not an ELF file (expected the magic bytes 7F 45 4C 46).");
        if (bytes[4] != 2 || bytes[5] != 1)
            throw new InvalidDataException($"{name}: expected a 64-bit little-endian ELF file, got class {bytes[4]}, data encoding {bytes[5]}.");

        long headersOffset = FileOffset(BinaryPrimitives.ReadUInt64LittleEndian(bytes[0x28..]), name);
        int headerSize = BinaryPrimitives.ReadUInt16LittleEndian(bytes[0x3A..]);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(bytes[0x3C..]);
        if (count > 0 && headerSize < SectionHeaderSize)
            throw new InvalidDataException($"{name}: section header size {headerSize} is smaller than {SectionHeaderSize}.");
        return (headersOffset, headerSize, count);
    }

    private static Section ReadSectionHeader(ReadOnlySpan<byte> header, string name) => new(
        Type: BinaryPrimitives.ReadUInt32LittleEndian(header[4..]),
        Offset: FileOffset(BinaryPrimitives.ReadUInt64LittleEndian(header[24..]), name),
        Size: FileOffset(BinaryPrimitives.ReadUInt64LittleEndian(header[32..]), name),
        Link: (int)BinaryPrimitives.ReadUInt32LittleEndian(header[40..]),
        Info: (int)BinaryPrimitives.ReadUInt32LittleEndian(header[44..]));

    private static long FileOffset(ulong value, string name) => value <= long.MaxValue
        ? (long)value
        : throw new InvalidDataException($"{name}: offset or size {value} is beyond any file.");

    /// <summary>Reads <paramref name="count"/> bytes at <paramref name="offset"/>, or explains which part of the file is cut short.</summary>
    private static byte[] ReadAt(Microsoft.Win32.SafeHandles.SafeFileHandle file, long length, long offset, long count, string name, string what)
    {
        RequireRange(length, offset, count, name, what);
        var buffer = new byte[count];
        for (int done = 0; done < buffer.Length;)
        {
            int read = RandomAccess.Read(file, buffer.AsSpan(done), offset + done);
            if (read == 0)
                throw new InvalidDataException($"{name}: truncated; the {what} ends at byte {offset + done} of {offset + count}.");
            done += read;
        }
        return buffer;
    }

    /// <summary>The raw bytes of the image (not a copy).</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>Every version need in <c>.gnu.version_r</c>, in file order.</summary>
    public IReadOnlyList<ElfVersionNeed> VersionNeeds()
    {
        var needs = new List<ElfVersionNeed>();
        if (FindSection(SectionVersionNeeds) is not { } section)
            return needs;
        long entry = section.Offset;
        for (int i = 0; i < section.Info; i++)
        {
            int auxCount = U16(entry + 2);
            string file = ReadString(section.Link, U32(entry + 4));
            long aux = entry + U32(entry + 8);
            for (int j = 0; j < auxCount; j++)
            {
                needs.Add(new ElfVersionNeed(file, ReadString(section.Link, U32(aux + 8)), U16(aux + 6), U16(aux + 4), aux + 4));
                aux += U32(aux + 12);
            }
            uint next = U32(entry + 12);
            if (next == 0)
                break;
            entry += next;
        }
        return needs;
    }

    /// <summary>Every version name this object defines in <c>.gnu.version_d</c> (for libstdc++: GLIBCXX_3.4, …).</summary>
    public IReadOnlySet<string> VersionDefinitions()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (FindSection(SectionVersionDefinitions) is not { } section)
            return names;
        long entry = section.Offset;
        for (int i = 0; i < section.Info; i++)
        {
            names.Add(ReadString(section.Link, U32(entry + U32(entry + 12))));
            uint next = U32(entry + 16);
            if (next == 0)
                break;
            entry += next;
        }
        return names;
    }

    /// <summary>The names of the dynamic symbols bound to the version with this index.</summary>
    public IReadOnlyList<string> SymbolsBoundTo(int versionIndex)
    {
        var symbols = new List<string>();
        if (FindSection(SectionDynamicSymbols) is not { } table || FindSection(SectionVersionSymbols) is not { } versions)
            return symbols;
        long count = Math.Min(table.Size / SymbolSize, versions.Size / 2);
        for (long i = 0; i < count; i++)
            if ((U16(versions.Offset + 2 * i) & 0x7fff) == versionIndex)
                symbols.Add(ReadString(table.Link, U32(table.Offset + SymbolSize * i)));
        return symbols;
    }

    /// <summary>
    /// A copy of the image in which the given version needs carry <see cref="WeakVersionFlag"/>; every other byte is unchanged.
    /// </summary>
    public byte[] WithWeakNeeds(IEnumerable<ElfVersionNeed> needs)
    {
        var copy = (byte[])_bytes.Clone();
        foreach (var need in needs)
            BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan((int)need.FlagsOffset), (ushort)(need.Flags | WeakVersionFlag));
        return copy;
    }

    private Section? FindSection(uint type)
    {
        foreach (var section in _sections)
            if (section.Type == type)
                return section;
        return null;
    }

    private string ReadString(int stringSection, uint offset)
    {
        if (stringSection < 0 || stringSection >= _sections.Length)
            throw new InvalidDataException($"{_name}: string table index {stringSection} is out of range (the image has {_sections.Length} sections).");
        var table = _sections[stringSection];
        if (table.Offset > _bytes.Length || table.Size > _bytes.Length - table.Offset)
            throw new InvalidDataException($"{_name}: string table {stringSection} lies outside the file.");
        return ReadCString(_bytes.AsSpan((int)table.Offset, (int)table.Size), offset, _name);
    }

    private static string ReadCString(ReadOnlySpan<byte> table, ulong offset, string name)
    {
        if (offset >= (ulong)table.Length)
            throw new InvalidDataException($"{name}: string offset {offset} lies outside its string table.");
        var span = table[(int)offset..];
        int end = span.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? span : span[..end]);
    }

    private ushort U16(long at)
    {
        RequireRange(_bytes.Length, at, 2, _name, "version entry");
        return BinaryPrimitives.ReadUInt16LittleEndian(_bytes.AsSpan((int)at));
    }

    private uint U32(long at)
    {
        RequireRange(_bytes.Length, at, 4, _name, "version entry");
        return BinaryPrimitives.ReadUInt32LittleEndian(_bytes.AsSpan((int)at));
    }

    private static void RequireRange(long fileLength, long offset, long length, string name, string what)
    {
        if (offset < 0 || length < 0 || length > int.MaxValue || offset > fileLength - length)
            throw new InvalidDataException($"{name}: truncated; a {what} spans bytes {offset}..{offset + length} but the file has {fileLength}.");
    }
}
